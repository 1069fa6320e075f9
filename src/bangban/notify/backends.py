"""Where messages go. One interface (`send(message) -> provider id`, raising `SendFailed`),
chosen by BANGBAN_SMS_BACKEND: the console/log backend by default, a file backend for tests and
demos, and the HTTP gateway adapter for a real SMS provider."""

import base64
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from django.conf import settings
from django.utils.module_loading import import_string

from bangban.notify.models import OutboxMessage

logger = logging.getLogger("bangban.sms")


class SendFailed(Exception):
    """The message was not accepted; `retry` says whether trying again may help."""

    def __init__(self, message: str, *, retry: bool = True):
        super().__init__(message)
        self.retry = retry


class Backend(Protocol):
    def send(self, message: OutboxMessage) -> str: ...


class ConsoleBackend:
    """Writes each message to the log: the default, for a platform with no gateway yet."""

    def send(self, message: OutboxMessage) -> str:
        logger.info("SMS %s to %s: %s", message.kind, message.phone_masked, message.text)
        return f"console-{message.pk}"


class FileBackend:
    """Appends each message as one JSON line to BANGBAN_SMS_FILE: tests and demos read it."""

    def send(self, message: OutboxMessage) -> str:
        path = Path(settings.BANGBAN_SMS_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "id": message.pk,
            "kind": message.kind,
            "phone": message.phone,
            "params": message.params,
            "text": message.text,
        }
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        return f"file-{message.pk}"


# The Aliyun dysms answers that trying again cannot fix: a bad number, template, signature or
# parameter stays bad. Any other code (throttling, the daily quota, a provider fault, an
# unknown code) is retried with backoff, and dead-lettered after BANGBAN_SMS_MAX_ATTEMPTS.
PERMANENT_CODES = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
        "isv.INVALID_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.SMS_CONTENT_ILLEGAL",
        "isv.DENY_IP_RANGE",
    }
)


def percent_encode(value: str) -> str:
    """Aliyun's RPC encoding: RFC 3986, UTF-8, only A-Z a-z 0-9 - _ . ~ left as they are."""
    return quote(str(value), safe="~")


def aliyun_signature(method: str, params: dict[str, str], secret: str) -> str:
    """The Aliyun RPC signature (SignatureMethod HMAC-SHA1, SignatureVersion 1.0): the sorted,
    encoded parameters, as METHOD&%2F&encode(query), signed with the secret plus "&"."""
    query = "&".join(
        f"{percent_encode(key)}={percent_encode(params[key])}" for key in sorted(params)
    )
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(query)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class GatewayBackend:
    """An HTTP SMS gateway in the shape of Aliyun dysms `SendSms` (API version 2017-05-25), the
    shape most Chinese SMS providers and in-house government gateways copy: a form POST of
    PhoneNumbers, SignName, TemplateCode, TemplateParam (JSON of strings), OutId (our message
    id, so that the provider drops a repeat of a message it has already accepted), the
    AccessKeyId, Timestamp, SignatureNonce and the HMAC-SHA1 Signature; the answer is JSON
    {"Code": "OK", "Message": "OK", "BizId": …, "RequestId": …}. The provider holds the
    approved wording of each template, so only the template id and the parameters are sent.

    Settings: BANGBAN_SMS_GATEWAY_URL, BANGBAN_SMS_ACCESS_KEY_ID, BANGBAN_SMS_ACCESS_KEY_SECRET,
    BANGBAN_SMS_SIGN_NAME, BANGBAN_SMS_TEMPLATES (kind → template code), BANGBAN_SMS_TIMEOUT."""

    def send(self, message: OutboxMessage) -> str:
        template = settings.BANGBAN_SMS_TEMPLATES.get(message.kind)
        if not template:
            raise SendFailed(
                f"No gateway template for the kind {message.kind!r}: set it in "
                "BANGBAN_SMS_TEMPLATES.",
                retry=False,
            )
        params = {
            "AccessKeyId": settings.BANGBAN_SMS_ACCESS_KEY_ID,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            "PhoneNumbers": message.phone,
            "SignName": settings.BANGBAN_SMS_SIGN_NAME,
            "TemplateCode": template,
            # Template variables are strings at the provider.
            "TemplateParam": json.dumps(
                {key: str(value) for key, value in message.params.items()}, ensure_ascii=False
            ),
            "OutId": str(message.pk),
        }
        params["Signature"] = aliyun_signature(
            "POST", params, settings.BANGBAN_SMS_ACCESS_KEY_SECRET
        )
        url = settings.BANGBAN_SMS_GATEWAY_URL
        if not url.startswith(("https://", "http://")):
            raise SendFailed("BANGBAN_SMS_GATEWAY_URL must be an http(s) address.", retry=False)
        body = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in params.items())
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            url,
            data=body.encode("ascii"),
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Accept": "application/json",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(  # noqa: S310 (the scheme is checked above)
                request, timeout=settings.BANGBAN_SMS_TIMEOUT
            ) as response:
                status, answer_body = response.status, response.read()
        except urllib.error.HTTPError as exc:
            # Aliyun answers its errors with a 4xx and the same JSON body; a 5xx is the
            # provider's own fault.
            status, answer_body = exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            # Refused, unreachable, timed out: the gateway is down, so try again later.
            raise SendFailed(f"Gateway unreachable: {exc}", retry=True) from exc
        try:
            answer = json.loads(answer_body.decode("utf-8"))
            code = str(answer.get("Code", ""))
        except (ValueError, UnicodeDecodeError, AttributeError):
            answer, code = {}, ""
        if status == 200 and code == "OK":
            return str(answer.get("BizId") or answer.get("RequestId") or f"gateway-{message.pk}")
        detail = f"HTTP {status} {code or '-'}: {str(answer.get('Message', ''))[:200]}"
        if status >= 500 or not code:
            raise SendFailed(f"Gateway error, {detail}", retry=True)
        raise SendFailed(f"Gateway refused, {detail}", retry=code not in PERMANENT_CODES)


BACKENDS = {
    "console": "bangban.notify.backends.ConsoleBackend",
    "file": "bangban.notify.backends.FileBackend",
    "gateway": "bangban.notify.backends.GatewayBackend",
}


def backend() -> Backend:
    name = settings.BANGBAN_SMS_BACKEND
    return import_string(BACKENDS.get(name, name))()
