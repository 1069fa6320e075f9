"""Shared set-up of the citizen portal's tests: a county with a village point that has the
demo hours, an item every tier offers, SMS sent at once to a file, and a reader of that file."""

import json
from pathlib import Path

import pytest
from django.urls import reverse

from bangban.org.demo_data import LUNCH_HOURS, OPENING_HOURS, WEEKEND_HOURS
from bangban.org.models import Role
from tests.cases.factories import item_of
from tests.factories import AgentFactory, UserFactory, county_tree

PHONE = "13912345678"
ID_NUMBER = "11010519491231002X"
ITEM = "个体工商户设立登记"


@pytest.fixture
def sms(settings, tmp_path) -> Path:
    """SMS go to a JSON-lines file, sent at once (the task runs inside the test)."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }
    settings.BANGBAN_SMS_BACKEND = "file"
    settings.BANGBAN_SMS_FILE = str(tmp_path / "sms.jsonl")
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "sms.jsonl"


def messages(path: Path, kind: str | None = None) -> list[dict]:
    if not Path(path).exists():
        return []
    lines = [json.loads(line) for line in Path(path).read_text("utf-8").splitlines() if line]
    return [m for m in lines if kind is None or m["kind"] == kind]


def last_code(path: Path, phone: str = PHONE) -> str:
    codes = [m for m in messages(path, "sms_code") if m["phone"] == phone]
    assert codes, "no code was sent"
    return str(codes[-1]["params"]["code"])


def make_world() -> dict:
    """The test county; its first village point keeps the demo hours, its agent 李帮办 has a
    login, and the department decides an item offered at every tier."""
    tree = county_tree()
    village = tree["villages"][0]
    village.opening_hours = OPENING_HOURS
    village.lunch_hours = LUNCH_HOURS
    village.weekend_hours = WEEKEND_HOURS
    village.save()
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN)
    item = item_of(tree["dept"], actor=admin, name=ITEM, limit_days=3)
    agent = UserFactory(unit=village, role=Role.AGENT, username="li-agent", full_name="李帮办")
    AgentFactory(unit=village, user=agent, name="李帮办")
    return {**tree, "village": village, "item": item, "agent": agent, "admin": admin}


def verified(client, world, sms_file, callbacks) -> None:
    """An online application started at the world's village, its phone verified by the SMS
    code (`callbacks`: django_capture_on_commit_callbacks, which sends it)."""
    client.post(reverse("portal-apply"), {"item": world["item"].pk, "unit": world["village"].pk})
    with callbacks(execute=True):
        client.post(reverse("portal-verify"), {"step": "send", "phone": PHONE})
    response = client.post(
        reverse("portal-verify"), {"step": "verify", "phone": PHONE, "code": last_code(sms_file)}
    )
    assert response.status_code == 302
