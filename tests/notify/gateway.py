"""A stand-in for the SMS provider in tests: a real HTTP server on 127.0.0.1 (a free port, in a
thread) that answers in the shape of Aliyun dysms `SendSms`, the shape GatewayBackend speaks.
It is not the provider: it checks the signature with the test's secret and records every
request, so tests can read what was sent and count deliveries by OutId.

Modes:
    ok         every request is accepted: {"Code": "OK", "BizId": …}
    flaky      every other request fails (alternating HTTP 500 and isv.BUSINESS_LIMIT_CONTROL)
    throttled  every request is throttled (isv.BUSINESS_LIMIT_CONTROL, HTTP 200)
    error500   every request gets HTTP 500 with no JSON
    permanent  every request is refused with isv.MOBILE_NUMBER_ILLEGAL
    down       the server is stopped: connections are refused (see `stop` / `start`)

Like the real provider, an OutId it has accepted before is not delivered again (the answer is
OK, the delivery is not counted twice), so `delivered` counts what reached phones."""

import json
import threading
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from bangban.notify.backends import aliyun_signature

ACCESS_KEY_ID = "test-key-id"
ACCESS_KEY_SECRET = "test-key-secret"
SIGN_NAME = "某县政务服务"


class StandInGateway:
    def __init__(self, mode: str = "ok"):
        self.mode = mode
        self.requests: list[dict[str, str]] = []
        self.delivered: Counter[str] = Counter()  # OutId -> deliveries
        self.duplicates = 0  # OutIds sent again after they were accepted
        self._count = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    # Server life.

    def start(self) -> "StandInGateway":
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode("utf-8")
                status, answer = gateway.answer(dict(parse_qsl(body, keep_blank_values=True)))
                payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        # Come back on the same port after `stop`, so the backend's URL stays valid.
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """The gateway is down: the port is closed and connections are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    # Answers.

    def answer(self, form: dict[str, str]):
        with self._lock:
            self.requests.append(form)
            self._count += 1
            count = self._count
        request_id = uuid.uuid4().hex.upper()
        signature = form.pop("Signature", "")
        form_signed = aliyun_signature("POST", form, ACCESS_KEY_SECRET)
        form["Signature"] = signature
        if form.get("AccessKeyId") != ACCESS_KEY_ID:
            return 404, {"Code": "InvalidAccessKeyId.NotFound", "RequestId": request_id}
        if signature != form_signed:
            return 400, {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature is not matched with our calculation.",
                "RequestId": request_id,
            }
        mode = self.mode
        if mode == "flaky" and count % 2 == 1:
            mode = "error500" if count % 4 == 1 else "throttled"
        if mode == "error500":
            return 500, b"Internal Server Error"
        if mode == "throttled":
            return 200, {
                "Code": "isv.BUSINESS_LIMIT_CONTROL",
                "Message": "触发分钟级流控Permits:1",
                "RequestId": request_id,
            }
        if mode == "permanent":
            return 200, {
                "Code": "isv.MOBILE_NUMBER_ILLEGAL",
                "Message": "非法手机号",
                "RequestId": request_id,
            }
        out_id = form.get("OutId", "")
        with self._lock:
            if self.delivered[out_id]:
                self.duplicates += 1
            else:
                self.delivered[out_id] += 1
        return 200, {
            "Code": "OK",
            "Message": "OK",
            "BizId": f"{count}^{uuid.uuid4().int % 10**12}",
            "RequestId": request_id,
        }
