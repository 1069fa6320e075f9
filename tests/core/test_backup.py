"""`bangban backup DIR` and `bangban restore DIR` (bangban.core.backup), on the database the
run uses (SQLite or PostgreSQL).

A small county (cases in several states, an archived case with forms, a signed scan and an
archive export) is backed up by the real command in a subprocess, then restored by the real
command into a new, empty database (a new SQLite file, or a new PostgreSQL database) with its
own MEDIA_ROOT. The restored installation is then asked, again in a subprocess, for what it
holds: the same counts, an intact event chain, byte-identical case archives, a working login.

The tests are transactional: pg_dump and the subprocesses see only committed data."""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils.translation import gettext as _
from PIL import Image

from bangban.cases import services as case_services
from bangban.cases.models import Case
from bangban.cases.workflow import State
from bangban.core.backup import MANIFEST, backup_create, backup_restore, key_fingerprint
from bangban.core.errors import Conflict, ValidationFailed
from bangban.core.events import event_record, events_verify
from bangban.core.models import Event
from bangban.documents import archive
from bangban.documents.models import Kind
from bangban.documents.services import archives as archive_services
from bangban.documents.services import document_generate, scan_attach
from bangban.org.models import Role, User
from tests.cases.factories import case_in_state, item_of
from tests.factories import TEST_PASSWORD, AgentFactory, UserFactory, county_tree

pytestmark = pytest.mark.django_db(transaction=True)

BANGBAN = str(Path(sys.executable).parent / "bangban")
# The archive of a case depends on its data and on who exported it when: both fixed here, so
# that the bytes of an archive made from the original and from the restored database compare.
EXPORTED_AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
EXPORTED_BY = "backup-test"
LOGIN = "li-bangban"

# Run inside the restored installation: what it holds, as JSON on stdout.
INSPECT = """
import json, os
from datetime import datetime
from pathlib import Path
from django.test import Client
from django.urls import reverse
from bangban.cases.models import Case
from bangban.core.events import event_record, events_verify
from bangban.core.models import Event
from bangban.documents import archive
from bangban.documents.models import ArchiveExport
from bangban.org.models import User

given = {key[8:].lower(): value for key, value in os.environ.items() if key.startswith("INSPECT_")}
chain = events_verify()
events = Event.objects.count()
last = Event.objects.order_by("-seq").values_list("action", flat=True).first()
archives = {}
for case in Case.objects.filter(state="archived").order_by("number"):
    target = Path(given["out"]) / (case.number + ".zip")
    with target.open("wb") as handle:
        archive.write_case_archive(
            handle,
            case,
            exported_by=given["by"],
            exported_at=datetime.fromisoformat(given["at"]),
        )
    archives[case.number] = str(target)
exports = [
    archive.verify_archive(Path(export.file.path)).ok
    for export in ArchiveExport.objects.exclude(file="")
]
client = Client()
wrong = client.post(reverse("login"), {"username": given["login"], "password": "Wrong#2026x"})
right = client.post(reverse("login"), {"username": given["login"], "password": given["password"]})
home = client.get(reverse("home"))
print(json.dumps({
    "cases": Case.objects.count(),
    "by_state": sorted(Case.objects.values_list("number", "state")),
    "events": events,
    "last_action": last,
    "logins": list(Event.objects.filter(seq__gt=events).values_list("action", flat=True)),
    "users": User.objects.count(),
    "chain_ok": chain.ok,
    "chain_checked": chain.checked,
    "archives": archives,
    "exports_verified": exports,
    "login_wrong": wrong.status_code,
    "login_right": right.status_code,
    "home": home.status_code,
}))
"""


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(buffer, "PNG")
    return SimpleUploadedFile("签字回执.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def source_var(settings, tmp_path) -> Path:
    """The installation being backed up: its MEDIA_ROOT under a var dir a subprocess can be
    given (BANGBAN_VAR_DIR), background work run at once."""
    var = tmp_path / "source-var"
    settings.MEDIA_ROOT = var / "media"
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }
    return var


def _county() -> dict:
    """A county with an item; a village agent who can log in; cases registered, in progress,
    and archived (one with a signed scan and a stored archive export)."""
    tree = county_tree()
    village = tree["villages"][0]
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN)
    item = item_of(tree["dept"], actor=admin, name="个体工商户设立登记", limit_days=3)
    agent = UserFactory(unit=village, role=Role.AGENT, full_name="李帮办", username=LOGIN)
    AgentFactory(unit=village, user=agent, name="李帮办")
    by = {"actor": agent, "items": [item]}
    case_in_state(State.REGISTERED, **by)
    case_in_state(State.IN_PROGRESS, **by)
    scanned = case_in_state(State.DELIVERED, **by)
    receipt = document_generate(actor=agent, case=scanned, kind=Kind.ACCEPTANCE_RECEIPT)
    scan_attach(actor=agent, document=receipt, upload=_png())
    scanned.refresh_from_db()
    case_services.rating_record(actor=agent, case=scanned, revision=scanned.revision, level=5)
    scanned.refresh_from_db()
    scanned = case_services.case_archive(actor=agent, case=scanned, revision=scanned.revision)
    plain = case_in_state(State.ARCHIVED, **by)
    for case in (scanned, plain):
        export = archive_services.archive_export_request(actor=agent, case=case, background=False)
        export = archive_services.archive_export_run(export_id=export.pk)
        assert export.state == "done", export.error
    return {"agent": agent, "archived": [scanned, plain]}


def _database_url(name: str) -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{name}"


@pytest.fixture
def empty_database(tmp_path):
    """A new, empty database: a SQLite file not yet made, or a PostgreSQL database created
    (and dropped afterwards) beside the test database."""
    if connection.vendor == "sqlite":
        yield _database_url(str(tmp_path / "restored.sqlite3"))
        return
    name = f"{connection.settings_dict['NAME']}_restore"
    with connection.cursor() as cursor:  # autocommit: a transactional test
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield _database_url(name)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bangban(*args: str, database_url: str, var: Path, **extra: str) -> subprocess.CompletedProcess:
    env = (
        os.environ
        | extra
        | {
            "DATABASE_URL": database_url,
            "BANGBAN_VAR_DIR": str(var),
            # The Django test client of the inspection script asks for this host name.
            "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        }
    )
    return subprocess.run(
        [BANGBAN, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _archive_bytes(case: Case) -> bytes:
    handle = io.BytesIO()
    archive.write_case_archive(handle, case, exported_by=EXPORTED_BY, exported_at=EXPORTED_AT)
    return handle.getvalue()


def _source_url() -> str:
    return _database_url(connection.settings_dict["NAME"])


def test_backup_and_restore_into_an_empty_database(source_var, empty_database, tmp_path, settings):
    county = _county()
    originals = {case.number: _archive_bytes(case) for case in county["archived"]}
    expected_states = sorted(Case.objects.values_list("number", "state"))
    backup_dir = tmp_path / "backup"

    made = bangban("backup", str(backup_dir), database_url=_source_url(), var=source_var)
    assert made.returncode == 0, made.stderr
    manifest = json.loads((backup_dir / MANIFEST).read_text())
    assert manifest["counts"]["cases"] == 4
    assert manifest["counts"]["scans"] == 1
    assert manifest["counts"]["events"] == Event.objects.count() - 1  # the backup's own event
    backup_event = Event.objects.order_by("-seq").first()
    assert backup_event.action == "system.backup"
    assert manifest["event_chain"]["last_seq"] == backup_event.seq - 1
    assert manifest["event_chain"]["last_hash"] == backup_event.prev_hash
    assert manifest["migrations"]["cases"].startswith("00")
    # The keys stay out of the backup; their fingerprints are in.
    assert manifest["keys"]["FIELD_ENCRYPTION_KEY"] == key_fingerprint(
        "FIELD_ENCRYPTION_KEY", settings.FIELD_ENCRYPTION_KEY
    )
    for path in backup_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert settings.FIELD_ENCRYPTION_KEY.encode() not in content, path
            assert settings.SECRET_KEY.encode() not in content, path
    # Every uploaded or generated file is in it, with the hash of its bytes.
    media_files = {
        p.relative_to(source_var / "media").as_posix(): p
        for p in (source_var / "media").rglob("*")
        if p.is_file()
    }
    listed = {entry["path"]: entry for entry in manifest["files"]}
    kinds = {name.split("/")[0] for name in media_files}
    assert {"documents", "scans", "archives"} <= kinds, kinds
    for name, path in media_files.items():
        entry = listed[f"media/{name}"]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()

    # A tampered copy is refused by the command, and the empty database stays without tables.
    tampered_dir = tmp_path / "tampered"
    shutil.copytree(backup_dir, tampered_dir)
    scan = next((tampered_dir / "media" / "scans").rglob("*.png"))
    scan.write_bytes(scan.read_bytes()[:-1] + b"\x00")
    restored_var = tmp_path / "restored-var"
    refused = bangban("restore", str(tampered_dir), database_url=empty_database, var=restored_var)
    assert refused.returncode == 1
    name = scan.relative_to(tampered_dir).as_posix()
    changed = _("%(file)s was changed: its SHA-256 does not match the manifest.")
    assert changed % {"file": name} in refused.stderr
    assert _tables(empty_database) == 0 and not (restored_var / "media").exists()

    restored = bangban("restore", str(backup_dir), database_url=empty_database, var=restored_var)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    for name, path in media_files.items():
        assert (restored_var / "media" / name).read_bytes() == path.read_bytes()

    out = tmp_path / "inspect"
    out.mkdir()
    inspect = bangban(
        "shell",
        "-c",
        INSPECT,
        database_url=empty_database,
        var=restored_var,
        INSPECT_OUT=str(out),
        INSPECT_AT=EXPORTED_AT.isoformat(),
        INSPECT_BY=EXPORTED_BY,
        INSPECT_LOGIN=LOGIN,
        INSPECT_PASSWORD=TEST_PASSWORD,
    )
    assert inspect.returncode == 0, inspect.stderr
    held = json.loads(inspect.stdout.strip().splitlines()[-1])
    assert held["cases"] == 4
    assert [tuple(row) for row in held["by_state"]] == expected_states
    assert held["users"] == manifest["counts"]["users"]
    # The backup's events, then the restore's own.
    assert held["events"] == manifest["counts"]["events"] + 1
    assert held["last_action"] == "system.restore"
    assert held["chain_ok"] and held["chain_checked"] == held["events"]
    assert set(held["archives"]) == set(originals)
    for number, path in held["archives"].items():
        assert Path(path).read_bytes() == originals[number], number
    assert held["exports_verified"] == [True, True]  # the stored zips' seals check there
    assert held["login_wrong"] == 200  # the form again, with its error
    assert held["login_right"] == 302 and held["home"] == 200
    assert held["logins"] == ["auth.login_failed", "auth.login"]

    # Over a database that now holds data (refused without --force: see below).
    forced = bangban(
        "restore", str(backup_dir), "--force", database_url=empty_database, var=restored_var
    )
    assert forced.returncode == 0, forced.stdout + forced.stderr
    line = _("%(table)s: %(actual)s (backup: %(expected)s)")
    assert line % {"table": "cases", "actual": 4, "expected": 4} in forced.stdout


def _tables(database_url: str) -> int:
    """How many tables a database holds, read without Django."""
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        if not path.exists():
            return 0
        with closing(sqlite3.connect(path)) as db:
            return db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[
                0
            ]
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as db:
        query = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
        return db.execute(query).fetchone()[0]


def _small_backup(tmp_path, settings) -> Path:
    """A user, a few events and one uploaded file, backed up in this process."""
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "agents").mkdir(parents=True)
    (tmp_path / "media" / "agents" / "photo.jpg").write_bytes(b"\xff\xd8 a photo")
    UserFactory(unit=None, role=Role.SUPERVISOR)
    for n in range(3):
        event_record(actor=None, action="test.event", object_id=n)
    directory = tmp_path / "backup"
    backup_create(directory)
    return directory


def _untouched(before: tuple[int, int]) -> bool:
    return (Event.objects.count(), User.objects.count()) == before and events_verify().ok


def test_what_a_restore_refuses_changes_nothing(tmp_path, settings):
    """A damaged backup (a file changed, missing or unlisted, no manifest), another encryption
    key, a database that already holds data: each refused with its reason, before anything
    is changed (here the database refused is the one holding the data)."""
    directory = _small_backup(tmp_path, settings)
    before = (Event.objects.count(), User.objects.count())
    photo = "media/agents/photo.jpg"
    damages = {
        "changed": (
            lambda d: (d / photo).write_bytes(b"\xff\xd8 b photo"),
            _("%(file)s was changed: its SHA-256 does not match the manifest.") % {"file": photo},
        ),
        "missing": (lambda d: (d / photo).unlink(), _("%(file)s is missing.") % {"file": photo}),
        "unlisted": (
            lambda d: (d / "media" / "agents" / "extra.jpg").write_bytes(b"x"),
            _("%(file)s is in the backup but not in the manifest.")
            % {"file": "media/agents/extra.jpg"},
        ),
        "manifest": (lambda d: (d / MANIFEST).unlink(), "manifest.json"),
    }
    for damage, (change, reason) in damages.items():
        copy = tmp_path / damage
        shutil.copytree(directory, copy)
        change(copy)
        # Even forced: the check of the files comes first.
        with pytest.raises(ValidationFailed) as refused:
            backup_restore(copy, force=True)
        assert reason in refused.value.message, damage
    assert _untouched(before)

    with pytest.raises(Conflict) as refused:
        backup_restore(directory)
    assert "--force" in refused.value.message
    assert _untouched(before)

    key = settings.FIELD_ENCRYPTION_KEY
    settings.FIELD_ENCRYPTION_KEY = "Q0hBTkdFRC1LRVktQ0hBTkdFRC1LRVktQ0hBTkdFRC0="
    with pytest.raises(Conflict) as refused:
        backup_restore(directory, force=True)
    assert "FIELD_ENCRYPTION_KEY" in refused.value.message
    settings.FIELD_ENCRYPTION_KEY = key
    assert _untouched(before)

    # And a backup goes into a new directory, outside MEDIA_ROOT.
    with pytest.raises(Conflict):
        backup_create(directory)
    with pytest.raises(ValidationFailed):
        backup_create(tmp_path / "media" / "backup")
