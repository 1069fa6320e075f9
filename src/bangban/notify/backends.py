"""Where messages go. One interface (`send(message) -> provider id`, raising `SendFailed`),
chosen by BANGBAN_SMS_BACKEND: the console/log backend by default, a file backend for tests and
demos, and the HTTP gateway adapter for a real SMS provider."""

import json
import logging
from pathlib import Path
from typing import Protocol

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


BACKENDS = {
    "console": "bangban.notify.backends.ConsoleBackend",
    "file": "bangban.notify.backends.FileBackend",
}


def backend() -> Backend:
    name = settings.BANGBAN_SMS_BACKEND
    return import_string(BACKENDS.get(name, name))()
