"""等保 checks that span the whole site (tests/core/test_security.py has the login, lockout,
password and idle-timeout ones): the security headers on every kind of response, the cookie
flags with HTTPS on and off, a logged event for every way to see unmasked personal data, the
ID and phone numbers unreadable in the raw database, no inline script in any template, and
the lock file `make audit` checks."""

import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from bangban.cases.models import Case, CasePhoto
from bangban.cases.workflow import State
from bangban.core.models import Event
from bangban.documents.models import Document, Kind
from bangban.documents.services import scan_attach
from bangban.org.models import Role
from tests.cases.factories import PERSON, case_in_state, point_with_item
from tests.factories import TEST_PASSWORD, AgentFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "bangban"

pytestmark = pytest.mark.django_db


# Headers.


def _policy(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def _check_headers(response, *, https: bool = False) -> None:
    policy = _policy(response.headers["Content-Security-Policy"])
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts == ["'self'"], scripts  # no inline, no eval, nothing remote
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    # Framing refused by the CSP everywhere, and by X-Frame-Options where Django adds it.
    assert policy["frame-ancestors"] == ["'none'"]
    assert response.headers.get("X-Frame-Options", "DENY") == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    if https:
        hsts = response.headers["Strict-Transport-Security"]
        assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31536000
    else:
        assert "Strict-Transport-Security" not in response.headers


@pytest.fixture
def staff(db):
    return UserFactory(unit=None, role=Role.SUPERVISOR)


RESPONSES = {
    "page": ("/accounts/login/", False, 200),
    "signed-in page": ("/", True, 200),
    "api": ("/api/v1/units/", True, 200),
    "api refused": ("/api/v1/units/", False, 401),
    "api docs": ("/api/v1/docs/", True, 200),
    "static": ("/static/js/unread.js", False, 200),
    "not found": ("/no-such-page/", False, 404),
    "api not found": ("/api/v1/agents/999999/", True, 404),
}


@pytest.mark.parametrize("kind", RESPONSES)
@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_every_kind_of_response_carries_the_security_headers(client, settings, staff, kind, https):
    path, signed_in, status = RESPONSES[kind]
    if https:  # what BANGBAN_HTTPS=true sets (test_https_settings_follow_bangban_https)
        settings.SECURE_HSTS_SECONDS = 31536000
        settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    if signed_in:
        client.force_login(staff)
    if path == "/accounts/login/":
        path = reverse("login")
    response = client.get(path, secure=https)
    assert response.status_code in (status, 403 if status == 401 else status), path
    _check_headers(response, https=https)


def test_https_settings_follow_bangban_https():
    """The settings module itself, read with BANGBAN_HTTPS on and off."""
    code = (
        "import json; from bangban.config import settings as s; print(json.dumps(["
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY,"
        " s.SESSION_COOKIE_SAMESITE]))"
    )
    seen = {}
    for flag in ("true", "false"):
        result = subprocess.run(
            [sys.executable, "-c", code],
            env=os.environ | {"BANGBAN_HTTPS": flag},
            capture_output=True,
            text=True,
            check=True,
        )
        seen[flag] = json.loads(result.stdout)
    assert seen["true"] == [
        True,
        True,
        31536000,
        ["HTTP_X_FORWARDED_PROTO", "https"],
        True,
        True,
        "Lax",
    ]
    assert seen["false"] == [False, False, 0, None, True, True, "Lax"]


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_session_and_csrf_cookie_flags(client, settings, https):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = https
    user = UserFactory(unit=None, role=Role.SUPERVISOR)
    client.get(reverse("login"), secure=https)
    csrf = client.cookies[settings.CSRF_COOKIE_NAME]
    response = client.post(
        reverse("login"),
        {"username": user.username, "password": TEST_PASSWORD},
        secure=https,
    )
    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    for cookie in (csrf, session):
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
        assert bool(cookie["secure"]) is https
    # The session ends with the browser (and after 30 idle minutes on the server).
    assert session["max-age"] == "" and session["expires"] == ""


# Reveals of personal data.


def _png(name: str = "photo.png") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(buffer, "PNG")
    return buffer.getvalue()


def _reveals_since(seq: int):
    return list(Event.objects.filter(seq__gt=seq, action="personal_data.reveal").order_by("seq"))


def _last_seq() -> int:
    return Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@pytest.fixture
def point(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    agent, item = point_with_item()
    manager = UserFactory(unit=agent.unit, role=Role.MANAGER)
    case = case_in_state(State.ACCEPTED, actor=agent, items=[item])
    return {"agent": agent, "manager": manager, "case": case}


def _fields(event: Event) -> set[str]:
    after = event.after or {}
    return {after["field"]} if "field" in after else set(after.get("fields", []))


def test_every_reveal_of_personal_data_is_an_event_with_who_and_what(client, point):
    """Each way to see an unmasked value: the agent page and the API reveal, a registration
    form (full ID and phone), a signed scan, a material photo. Each leaves one event naming
    the user and the fields, never the value."""
    manager, case = point["manager"], point["case"]
    agent = AgentFactory(unit=manager.unit)
    client.force_login(manager)
    seen: list[tuple[str, set[str]]] = []

    def reveal(name: str, response, expected: set[str]) -> None:
        assert response.status_code == 200, (name, response.status_code)
        events = _reveals_since(start)
        assert len(events) == 1, name
        event = events[0]
        assert event.actor_id == manager.pk and event.actor_label == manager.username, name
        assert _fields(event) == expected, (name, event.after)
        text = json.dumps([event.before, event.after])
        for value in (agent.id_number, agent.phone, PERSON["id_number"], PERSON["phone"]):
            assert value not in text, name
        seen.append((name, _fields(event)))

    start = _last_seq()
    page = client.post(reverse("agent-reveal", args=[agent.pk, "phone"]))
    assert agent.phone in page.content.decode()
    reveal("agent page", page, {"phone"})

    start = _last_seq()
    api = client.post(f"/api/v1/agents/{agent.pk}/reveal/", {"field": "id_number"})
    assert api.json()["value"] == agent.id_number
    reveal("api", api, {"id_number"})

    start = _last_seq()
    form = client.get(
        reverse("documents:form-pdf", args=[case.pk, Kind.REGISTRATION_PERSONAL.value])
    )
    reveal("registration form", form, {"id_number", "phone"})
    document = Document.objects.get(case=case, kind=Kind.REGISTRATION_PERSONAL)

    start = _last_seq()
    stored = client.get(reverse("documents:record", args=[document.pk]))
    reveal("stored form", stored, {"id_number", "phone"})

    scan = scan_attach(
        actor=point["agent"],
        document=document,
        upload=SimpleUploadedFile("签字.png", _png(), content_type="image/png"),
    )
    start = _last_seq()
    reveal("signed scan", client.get(reverse("documents:scan", args=[scan.pk])), {"signed_scan"})

    photo = CasePhoto(
        case=case,
        original_name="身份证.png",
        content_type="image/png",
        size=len(_png()),
        sha256="0" * 64,
        uploaded_at=timezone.now(),
    )
    photo.file.save("id.png", ContentFile(_png()), save=True)
    start = _last_seq()
    reveal(
        "material photo",
        client.get(reverse("cases:photo", args=[case.pk, photo.pk])),
        {"material_photo"},
    )
    assert len(seen) == 6


def test_a_refused_reveal_shows_nothing_and_logs_nothing(client, point):
    agent = AgentFactory(unit=point["manager"].unit)
    client.force_login(UserFactory(unit=point["agent"].unit.parent, role=Role.AGENT))
    start = _last_seq()
    response = client.post(reverse("agent-reveal", args=[agent.pk, "phone"]))
    assert response.status_code in (403, 404)
    assert agent.phone not in response.content.decode()
    assert _reveals_since(start) == []


# Encryption at rest, read from the raw database.


def _all_rows_as_text() -> dict[str, str]:
    """Every row of every table, as text, read with a raw cursor (no model field decrypts)."""
    tables = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            tables[table] = "\n".join(repr(row) for row in cursor.fetchall())
    return tables


def test_id_and_phone_numbers_are_nowhere_in_the_raw_database(point):
    """A case registered through the services (with its events, timeline, tally, SMS outbox)
    and an agent: the full ID and phone numbers appear in no column of any table; the case's
    own columns hold Fernet tokens, blind indexes and the masked forms."""
    case, agent = point["case"], AgentFactory(unit=point["agent"].unit)
    plain = [PERSON["id_number"], PERSON["phone"], agent.id_number, agent.phone]
    tables = _all_rows_as_text()
    # The scan reads what is there: the masked phone is found in the case's row.
    assert "139****5678" in tables[Case._meta.db_table]
    for table, text in tables.items():
        for value in plain:
            assert value not in text, (table, value)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id_number, phone, id_number_masked, phone_masked, id_number_index, "
            f"phone_index FROM {connection.ops.quote_name(Case._meta.db_table)} WHERE id = %s",
            [case.pk],
        )
        id_number, phone, id_masked, phone_masked, id_index, phone_index = cursor.fetchone()
    assert id_number.startswith("gAAAAA") and phone.startswith("gAAAAA")
    assert id_masked == "1101**********002X"
    assert phone_masked == "139****5678"
    assert re.fullmatch(r"[0-9a-f]{64}", id_index) and re.fullmatch(r"[0-9a-f]{64}", phone_index)
    # Read through the model, the values are whole again: the columns are not merely masked.
    case.refresh_from_db()
    assert (case.id_number, case.phone) == (PERSON["id_number"], PERSON["phone"])


# Templates.


def _templates() -> list[Path]:
    return sorted(SRC.rglob("templates/**/*.html"))


def test_no_template_has_an_inline_script_or_event_handler():
    """The CSP forbids inline scripts; one in a template would silently not run. Scripts come
    from static files (<script src=…>), handlers are bound there, not in on…= attributes."""
    templates = _templates()
    assert len(templates) > 50
    problems = []
    for path in templates:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b([^>]*)>", text, re.IGNORECASE):
            if not re.search(r"\bsrc\s*=", match.group(1)):
                problems.append(f"{path.relative_to(SRC)}: inline <script>")
        for match in re.finditer(r"<[a-zA-Z][^>]*?\s(on[a-z]+)\s*=", text):
            problems.append(f"{path.relative_to(SRC)}: {match.group(1)}= attribute")
        if re.search(r"""(href|src|action)\s*=\s*["']\s*javascript:""", text, re.IGNORECASE):
            problems.append(f"{path.relative_to(SRC)}: javascript: URL")
        if re.search(r"\bhx-on\b|hx-on:", text):
            problems.append(f"{path.relative_to(SRC)}: hx-on (inline handler)")
    assert problems == []


def test_the_scan_catches_an_inline_script(tmp_path):
    """The patterns above do match what they look for."""
    text = '<p onclick="x()">a</p><script>alert(1)</script><script src="/s.js"></script>'
    assert re.search(r"<[a-zA-Z][^>]*?\s(on[a-z]+)\s*=", text).group(1) == "onclick"
    inline = [m for m in re.finditer(r"<script\b([^>]*)>", text) if "src" not in m.group(1)]
    assert len(inline) == 1


# The lock file `make audit` checks.


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_lock_file_pins_every_dependency():
    """requirements.lock (`make lock`) pins an exact version of every runtime and test
    dependency of pyproject.toml, so that `make audit` checks what is installed."""
    lock = (ROOT / "requirements.lock").read_text().splitlines()
    pinned = {}
    for line in lock:
        line = line.strip()
        if line and not line.startswith("#"):
            assert "==" in line, line
            name, version = line.split("==", 1)
            pinned[name.lower().replace("_", "-")] = version
    assert "bangban" not in pinned
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    missing = [req for req in wanted if _name(req) not in pinned]
    assert missing == []


def _audit_module():
    spec = importlib.util.spec_from_file_location("audit", ROOT / "scripts" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_audit_fails_on_a_vulnerability_and_never_mistakes_skips_for_a_pass():
    """pip-audit says "No known vulnerabilities found" even when it skipped every package
    (a local mirror without PyPI's JSON API): `make audit` reads its report instead."""
    judge = _audit_module().judge
    vulnerable = {
        "dependencies": [
            {
                "name": "django",
                "version": "5.2.0",
                "vulns": [
                    {"id": "PYSEC-2025-1", "fix_versions": ["5.2.1"], "aliases": ["CVE-2025-1"]}
                ],
            },
            {"name": "qrcode", "version": "8.2", "vulns": []},
        ]
    }
    found, lines, audited = judge(vulnerable)
    assert (found, audited) == (1, True)
    assert lines == ["django 5.2.0: PYSEC-2025-1 (CVE-2025-1), fixed in 5.2.1"]
    clean = {"dependencies": [{"name": "qrcode", "version": "8.2", "vulns": []}]}
    assert judge(clean) == (0, [], True)
    skipped = {
        "dependencies": [
            {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be"}
        ]
    }
    assert judge(skipped) == (0, [], False)
