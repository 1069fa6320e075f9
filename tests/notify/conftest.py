import json

import pytest

from bangban.notify.models import Kind
from tests.notify import gateway as standin

IMMEDIATE = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default"],
    }
}


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run at once in the test (after commit, when captured)."""
    settings.TASKS = IMMEDIATE


@pytest.fixture
def sms_file(settings, tmp_path):
    """Messages go to a JSON-lines file; read it with `sent_lines`."""
    settings.BANGBAN_SMS_BACKEND = "file"
    settings.BANGBAN_SMS_FILE = str(tmp_path / "sms.jsonl")
    return tmp_path / "sms.jsonl"


def sent_lines(path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def gateway(settings):
    """The stand-in provider, running, with the gateway backend pointed at it and a template
    for every kind."""
    server = standin.StandInGateway().start()
    settings.BANGBAN_SMS_BACKEND = "gateway"
    settings.BANGBAN_SMS_GATEWAY_URL = server.url
    settings.BANGBAN_SMS_ACCESS_KEY_ID = standin.ACCESS_KEY_ID
    settings.BANGBAN_SMS_ACCESS_KEY_SECRET = standin.ACCESS_KEY_SECRET
    settings.BANGBAN_SMS_SIGN_NAME = standin.SIGN_NAME
    settings.BANGBAN_SMS_TEMPLATES = {
        kind.value: f"SMS_{100000 + i}" for i, kind in enumerate(Kind)
    }
    settings.BANGBAN_SMS_TIMEOUT = 5
    yield server
    server.stop()
