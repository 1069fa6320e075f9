"""The sealed case archive (一事一档): the zip of an archived case (every form version, the
signed scans, the case's events, the case facts, a sealed manifest), its verification — which
must catch every kind of tampering —, bulk export of a date range, the permission rules, the
command and the pages."""

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from bangban.cases import services as case_services
from bangban.cases.models import Case, CaseLog
from bangban.cases.workflow import State
from bangban.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from bangban.core.events import event_digest_of
from bangban.core.models import Event
from bangban.documents import archive
from bangban.documents.models import ArchiveExport, Document, Format, Kind
from bangban.documents.services import archives as services
from bangban.documents.services import document_generate, scan_attach
from bangban.org.models import Role
from tests.cases.factories import APPLICANT_SIGNATORY
from tests.documents.conftest import make
from tests.factories import AgentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _inline(settings):
    """Background exports run at once, inside the test."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }


def _fresh(case: Case) -> Case:
    case.refresh_from_db()
    return case


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(buffer, "PNG")
    return SimpleUploadedFile("签字回执.png", buffer.getvalue(), content_type="image/png")


def archived_with_documents(world) -> Case:
    """A case taken to its archive by the services, with its forms generated on the way: the
    registration form twice (version 1 superseded when an agent was dispatched) and in Word,
    the acceptance receipt with a signed scan, and the completion notice."""
    agent = world["agent"]
    case = make(world, State.REGISTERED)
    document_generate(actor=agent, case=case, kind=Kind.REGISTRATION_PERSONAL)
    manager = UserFactory(unit=case.unit, role=Role.MANAGER)
    other = UserFactory(unit=case.unit, role=Role.AGENT, full_name="赵代办")
    case_services.case_assign(
        actor=manager,
        case=case,
        revision=case.revision,
        agent=AgentFactory(unit=case.unit, user=other, name="赵代办"),
    )
    document_generate(actor=agent, case=_fresh(case), kind=Kind.REGISTRATION_PERSONAL)
    document_generate(
        actor=agent, case=_fresh(case), kind=Kind.REGISTRATION_PERSONAL, format=Format.DOCX
    )
    by = {"actor": agent, "case": case}
    case_services.case_accept(**by, revision=_fresh(case).revision)
    receipt = document_generate(actor=agent, case=_fresh(case), kind=Kind.ACCEPTANCE_RECEIPT)
    scan_attach(actor=agent, document=receipt, upload=_png())
    case_services.case_start(**by, revision=_fresh(case).revision)
    for task in case.tasks.filter(decision=""):
        case_services.task_decide(
            **by, revision=_fresh(case).revision, task=task, decision="approved", result="许可证"
        )
    case_services.case_complete(**by, revision=_fresh(case).revision, results="已取得许可证")
    case_services.case_deliver(
        **by, revision=_fresh(case).revision, method="window", receiver=APPLICANT_SIGNATORY
    )
    document_generate(actor=agent, case=_fresh(case), kind=Kind.COMPLETION_NOTICE)
    case_services.rating_record(**by, revision=_fresh(case).revision, level=5)
    return case_services.case_archive(**by, revision=_fresh(case).revision)


def export_one(actor, case: Case) -> ArchiveExport:
    export = services.archive_export_request(actor=actor, case=case, background=False)
    return services.archive_export_run(export_id=export.pk)


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        return {name: zipped.read(name) for name in zipped.namelist()}


def rezip(data: bytes, path: Path, *, change=None, add=None, drop=()) -> Path:
    """The zip rewritten as a forger would: members changed (by a function of their bytes),
    added or left out; every CRC is right, so only the archive's own checks can tell."""
    change = change or {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, content in members(data).items():
            if name in drop:
                continue
            out.writestr(name, change[name](content) if name in change else content)
        for name, content in (add or {}).items():
            out.writestr(name, content)
    return path


def flip(content: bytes) -> bytes:
    middle = len(content) // 2
    return content[:middle] + bytes([content[middle] ^ 0x01]) + content[middle + 1 :]


# The genuine zip the tampering tests start from. It only depends on the secret key, which is
# the same for the whole run, so it is made once (by the first test that needs it) and each
# tampering test alters its own copy.
_GENUINE: dict[str, bytes] = {}


@pytest.fixture
def genuine(world) -> bytes:
    if "zip" not in _GENUINE:
        case = archived_with_documents(world)
        export = export_one(world["agent"], case)
        with export.file.open("rb") as handle:
            _GENUINE["zip"] = handle.read()
    return _GENUINE["zip"]


def manifest_of(data: bytes) -> dict:
    return json.loads(members(data)["manifest.json"])


def first_document(data: bytes) -> str:
    return next(name for name in members(data) if name.startswith("documents/"))


# The zip and what it holds.


def test_an_archive_holds_every_form_even_those_nobody_printed(world, tmp_path):
    case = make(world, State.ARCHIVED)
    assert not Document.objects.filter(case=case).exists()
    export = export_one(world["agent"], case)
    with export.file.open("rb") as handle:
        data = handle.read()
    kinds = {(d.kind, d.version, d.format) for d in Document.objects.filter(case=case)}
    assert kinds == {
        ("registration_personal", 1, "pdf"),
        ("acceptance_receipt", 1, "pdf"),
        ("completion_notice", 1, "pdf"),
        ("evaluation_form", 1, "pdf"),
    }
    documents = [name for name in members(data) if name.startswith("documents/")]
    assert len(documents) == 4
    path = tmp_path / "filled.zip"
    path.write_bytes(data)
    assert archive.verify_archive(path).ok
    # A second export finds the set complete: the same forms, no new version.
    export_one(world["agent"], case)
    assert Document.objects.filter(case=case).count() == 4


def test_the_export_of_an_archived_case_holds_everything_and_verifies(world):
    case = archived_with_documents(world)
    agent = world["agent"]
    events_before = Event.objects.count()
    export = services.archive_export_request(actor=agent, case=case, background=False)
    event = Event.objects.get(action="archive.export")
    assert Event.objects.count() == events_before + 1
    assert (event.object_type, event.object_id) == ("documents.archiveexport", str(export.pk))
    assert (event.unit_path, event.after) == (case.unit.path, {"case": case.number})
    export = services.archive_export_run(export_id=export.pk)
    assert (export.state, export.error, export.done, export.total) == ("done", "", 1, 1)
    assert export.file.name.startswith("archives/") and export.finished_at is not None
    with export.file.open("rb") as handle:
        data = handle.read()
    _GENUINE.setdefault("zip", data)
    assert export.sha256 == hashlib.sha256(data).hexdigest()

    files = members(data)
    documents = Document.objects.filter(case=case).order_by("kind", "version")
    assert {name for name in files if name.startswith("documents/")} == {
        f"documents/{d.filename}" for d in documents
    }
    registration = [
        (d.format, d.version) for d in documents if d.kind == Kind.REGISTRATION_PERSONAL
    ]
    assert sorted(registration) == [("docx", 1), ("pdf", 1), ("pdf", 2)]
    assert Document.objects.get(
        case=case, kind=Kind.REGISTRATION_PERSONAL, format="pdf", version=1
    ).superseded
    scans = [name for name in files if name.startswith("scans/")]
    assert len(scans) == 1 and scans[0].endswith(".png")
    for document in documents:
        assert hashlib.sha256(files[f"documents/{document.filename}"]).hexdigest() == (
            document.sha256
        )

    manifest = json.loads(files["manifest.json"])
    assert (manifest["format"], manifest["version"], manifest["case"]) == (
        "bangban-case-archive",
        1,
        case.number,
    )
    assert manifest["exported_by"] == agent.username
    assert datetime.fromisoformat(manifest["exported_at"]).utcoffset() == timedelta(0)
    assert manifest["seal"] == archive.seal_of(manifest)
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == set(files) - {"manifest.json"}
    for path, entry in listed.items():
        assert entry["size"] == len(files[path])
        assert entry["sha256"] == hashlib.sha256(files[path]).hexdigest()

    events = json.loads(files["events.json"])
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs))
    case_events = Event.objects.filter(object_type="cases.case", object_id=str(case.pk))
    assert set(case_events.values_list("seq", flat=True)) <= set(seqs)
    generated = [e for e in events if e["action"] == "document.generate"]
    # The five printed on the way, and the evaluation form nobody printed, made at the export.
    assert len(generated) == documents.count() == 6
    assert any(e["action"] == "document.scan_attach" for e in events)
    assert "archive.export" not in {e["action"] for e in events}
    assert all(datetime.fromisoformat(e["occurred_at"]).utcoffset() == timedelta(0) for e in events)

    facts = json.loads(files["case.json"])
    assert (facts["number"], facts["state"]) == (case.number, "archived")
    assert facts["archived_at"] == _fresh(case).archived_at.astimezone(UTC).isoformat()
    assert facts["items"][0]["name"] == world["item"].name
    assert len(facts["timeline"]) == CaseLog.objects.filter(case=case).count()
    assert facts["timeline"][-1]["action"] == "archive"

    report = archive.verify_archive(io.BytesIO(data))
    assert report.ok, report.problems
    assert (report.cases, report.seal_checked, report.bundle) == ([case.number], True, False)
    assert report.files == len(listed) and report.events == len(events)


# Tampering: each must be caught, naming what was touched.


@pytest.mark.parametrize(
    "tamper",
    ["document_byte", "extra_file", "missing_file", "event_edited", "manifest_follows"],
)
def test_tampering_is_detected(genuine, tmp_path, tamper):
    document = first_document(genuine)
    manifest = manifest_of(genuine)
    expect = document
    if tamper == "document_byte":
        forged = rezip(genuine, tmp_path / "x.zip", change={document: flip})
    elif tamper == "extra_file":
        expect = "documents/extra.pdf"
        forged = rezip(genuine, tmp_path / "x.zip", add={expect: b"%PDF-1.4 forged"})
    elif tamper == "missing_file":
        forged = rezip(genuine, tmp_path / "x.zip", drop={document})
    elif tamper == "event_edited":
        events = json.loads(members(genuine)["events.json"])
        events[0]["actor_label"] = "someone else"
        expect = "events.json"

        def edit(_content: bytes) -> bytes:
            return json.dumps(events, ensure_ascii=False).encode()

        forged = rezip(genuine, tmp_path / "x.zip", change={"events.json": edit})
    else:
        # The document changed and the manifest rewritten to fit it: the seal (made with a key
        # the forger lacks) and the SHA-256 recorded at generation both still tell.
        changed = flip(members(genuine)[document])
        for entry in manifest["files"]:
            if entry["path"] == document:
                entry["sha256"] = hashlib.sha256(changed).hexdigest()
        rewritten = json.dumps(manifest, ensure_ascii=False).encode()
        forged = rezip(
            genuine,
            tmp_path / "x.zip",
            change={document: lambda _c: changed, "manifest.json": lambda _c: rewritten},
        )
    report = archive.verify_archive(forged)
    assert not report.ok
    assert any(expect in problem for problem in report.problems), report.problems
    if tamper == "event_edited":
        seq = json.loads(members(genuine)["events.json"])[0]["seq"]
        assert any(str(seq) in problem for problem in report.problems)
    if tamper == "manifest_follows":
        assert any("manifest.json" in problem for problem in report.problems)
        # Without the seal, the SHA-256 the generation event recorded still catches it.
        unsealed = archive.verify_archive(forged, check_seal=False)
        assert not unsealed.ok and not unsealed.seal_checked
        assert any(document in problem for problem in unsealed.problems)


def test_a_forger_who_also_rewrites_the_event_is_caught_by_the_seal(genuine, tmp_path):
    """Change a form, its event's recorded SHA-256 and that event's hash, and the manifest:
    every hash now fits, and only the seal (keyed from SECRET_KEY) tells."""
    document = first_document(genuine)
    changed = flip(members(genuine)[document])
    digest = hashlib.sha256(changed).hexdigest()
    manifest = manifest_of(genuine)
    entry = next(e for e in manifest["files"] if e["path"] == document)
    events = json.loads(members(genuine)["events.json"])
    for event in events:
        if event["seq"] == entry["event"]:
            event["after"]["sha256"] = digest
            event["hash"] = event_digest_of(event)
    events_bytes = json.dumps(events, ensure_ascii=False).encode()
    entry["sha256"] = digest
    for other in manifest["files"]:
        if other["path"] == "events.json":
            other["sha256"] = hashlib.sha256(events_bytes).hexdigest()
            other["size"] = len(events_bytes)
    manifest["seal"] = "0" * 64
    forged = rezip(
        genuine,
        tmp_path / "x.zip",
        change={
            document: lambda _c: changed,
            "events.json": lambda _c: events_bytes,
            "manifest.json": lambda _c: json.dumps(manifest).encode(),
        },
    )
    report = archive.verify_archive(forged)
    assert report.problems == [report.problems[0]] and "manifest.json" in report.problems[0]
    assert archive.verify_archive(forged, check_seal=False).ok


def test_a_form_removed_with_its_manifest_entry_is_missed_by_its_event(genuine, tmp_path):
    document = first_document(genuine)
    manifest = manifest_of(genuine)
    entry = next(e for e in manifest["files"] if e["path"] == document)
    manifest["files"].remove(entry)
    forged = rezip(
        genuine,
        tmp_path / "x.zip",
        drop={document},
        change={"manifest.json": lambda _c: json.dumps(manifest).encode()},
    )
    report = archive.verify_archive(forged, check_seal=False)
    assert not report.ok
    assert any(f"{entry['event']}" in p and entry["kind"] in p for p in report.problems)
    assert not archive.verify_archive(forged).ok


def test_the_seal_only_checks_with_this_installations_key(genuine, settings):
    assert archive.verify_archive(io.BytesIO(genuine)).ok
    settings.SECRET_KEY = "another installation's key " + "x" * 40
    report = archive.verify_archive(io.BytesIO(genuine))
    assert not report.ok and len(report.problems) == 1
    unsealed = archive.verify_archive(io.BytesIO(genuine), check_seal=False)
    assert unsealed.ok and not unsealed.seal_checked


@pytest.mark.parametrize("what", ["not_a_zip", "no_manifest", "bad_manifest"])
def test_a_broken_file_is_reported_not_raised(genuine, tmp_path, what):
    path = tmp_path / "x.zip"
    if what == "not_a_zip":
        path.write_bytes(b"PK\x03\x04 not really")
    elif what == "no_manifest":
        rezip(genuine, path, drop={"manifest.json"})
    else:
        rezip(genuine, path, change={"manifest.json": lambda _c: b"{not json"})
    report = archive.verify_archive(path)
    assert not report.ok and report.problems


# The command.


@pytest.fixture
def command_case(world):
    return archived_with_documents(world)


def test_the_command_writes_and_checks_a_case_zip(command_case, world, tmp_path, capsys):
    out = tmp_path / "case.zip"
    call_command(
        "archive",
        "export",
        command_case.number,
        "--out",
        str(out),
        "--actor",
        world["agent"].username,
    )
    export = ArchiveExport.objects.get()
    assert export.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert export.sha256 in capsys.readouterr().out
    assert manifest_of(out.read_bytes())["case"] == command_case.number
    call_command("archive", "verify", str(out))
    assert str(out) in capsys.readouterr().out
    forged = rezip(
        out.read_bytes(), tmp_path / "forged.zip", change={first_document(out.read_bytes()): flip}
    )
    with pytest.raises(CommandError) as failed:
        call_command("archive", "verify", str(forged))
    assert failed.value.returncode != 0
    assert first_document(out.read_bytes()) in capsys.readouterr().out
    # The shell's exit status, as a cron job or a script sees it.
    for path, status in ((out, 0), (forged, 1)):
        done = subprocess.run(
            [sys.executable, "-m", "bangban", "archive", "verify", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == status, done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["C-NONE", "--actor", "nobody"], "nobody"),
        (["C-NONE"], "--actor"),
        (["--from", "2026-01-01", "--to", "2026-01-31", "--actor", "{agent}"], "--out"),
        (
            ["--from", "2026-13-01", "--to", "2026-01-31", "--out", "x.zip", "--actor", "{agent}"],
            "2026-13-01",
        ),
    ],
)
def test_the_command_refuses_bad_input(world, tmp_path, args, message):
    args = [arg.replace("{agent}", world["agent"].username) for arg in args]
    with pytest.raises(CommandError, match=message):
        call_command("archive", "export", *args)
    assert not ArchiveExport.objects.exists()


# Bulk export of a date range.


def _archived_on(case: Case, moment: datetime) -> Case:
    """Move a case's archiving time (the services archive "now"; a range needs other days)."""
    Case.objects.filter(pk=case.pk).update(archived_at=moment)
    return _fresh(case)


def _local(day, hour: int, minute: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def spread(world):
    """Archived cases around a ten-day range, in town 1 (villages 1 and 2) and town 2, plus an
    open one; the range's ends are local (Asia/Shanghai) days, both included."""
    tree = world["tree"]
    agents = [world["agent"]]
    for village in tree["villages"][1:3]:
        user = UserFactory(unit=village, role=Role.AGENT)
        AgentFactory(unit=village, user=user)
        agents.append(user)
    first = timezone.localdate() - timedelta(days=40)
    last = first + timedelta(days=9)

    def archived(agent, moment):
        return _archived_on(make({**world, "agent": agent}, State.ARCHIVED), moment)

    return {
        "first": first,
        "last": last,
        # 00:30 in Shanghai is the day before in UTC: still the range's first day.
        "start": archived(agents[0], _local(first, 0, 30)),
        "end": archived(agents[1], _local(last, 23, 50)),
        "before": archived(agents[0], _local(first - timedelta(days=1), 23, 59)),
        "after": archived(agents[0], _local(last + timedelta(days=1), 0, 10)),
        "town2": archived(agents[2], _local(first, 12, 0)),
        "open": make(world, State.IN_PROGRESS),
        "manager": UserFactory(unit=tree["towns"][0], role=Role.MANAGER),
        "supervisor": UserFactory(unit=tree["county"], role=Role.SUPERVISOR),
    }


def test_a_bulk_export_holds_exactly_the_cases_archived_in_the_range_in_sight(spread):
    manager = spread["manager"]
    export = services.archive_export_request(
        actor=manager,
        archived_from=spread["first"],
        archived_to=spread["last"],
        background=False,
    )
    expected = [spread["start"].number, spread["end"].number]
    event = Event.objects.get(action="archive.export")
    assert event.after == {
        "archived_from": spread["first"].isoformat(),
        "archived_to": spread["last"].isoformat(),
        "cases": expected,
    }
    assert event.unit_path == manager.unit.path
    seen = []
    export = services.archive_export_run(
        export_id=export.pk, progress=lambda done, total: seen.append((done, total))
    )
    assert export.state == "done", export.error
    assert seen == [(0, 2), (1, 2), (2, 2)] and export.percent == 100
    with export.file.open("rb") as handle:
        data = handle.read()
    assert export.sha256 == hashlib.sha256(data).hexdigest()
    files = members(data)
    assert set(files) == {f"{number}.zip" for number in expected} | {"index.json"}
    index = json.loads(files["index.json"])
    assert [entry["number"] for entry in index["cases"]] == expected
    assert index["seal"] == archive.seal_of(index)
    for number in expected:
        assert manifest_of(files[f"{number}.zip"])["case"] == number
    report = archive.verify_archive(io.BytesIO(data))
    assert report.ok, report.problems
    assert report.bundle and report.cases == expected

    # A supervisor sees every town: the range then includes town 2's case too.
    export = services.archive_export_request(
        actor=spread["supervisor"],
        archived_from=spread["first"],
        archived_to=spread["last"],
        background=False,
    )
    export = services.archive_export_run(export_id=export.pk)
    with export.file.open("rb") as handle:
        names = set(members(handle.read()))
    assert f"{spread['town2'].number}.zip" in names and len(names) == 4


def test_a_tampered_case_inside_a_bulk_zip_is_detected(spread, tmp_path):
    export = services.archive_export_request(
        actor=spread["manager"],
        archived_from=spread["first"],
        archived_to=spread["last"],
        background=False,
    )
    with services.archive_export_run(export_id=export.pk).file.open("rb") as handle:
        data = handle.read()
    inner = f"{spread['end'].number}.zip"
    forged_case = rezip(members(data)[inner], tmp_path / "inner.zip", change={"case.json": flip})
    forged = rezip(data, tmp_path / "bulk.zip", change={inner: lambda _c: forged_case.read_bytes()})
    report = archive.verify_archive(forged)
    assert not report.ok
    assert any(problem.startswith(inner) for problem in report.problems), report.problems
    assert any(f"{inner}: case.json" in problem for problem in report.problems)
    dropped = rezip(data, tmp_path / "dropped.zip", drop={inner})
    assert any(inner in problem for problem in archive.verify_archive(dropped).problems)


def test_the_command_exports_a_range(spread, tmp_path, capsys):
    out = tmp_path / "range.zip"
    call_command(
        "archive",
        "export",
        "--from",
        spread["first"].isoformat(),
        "--to",
        spread["last"].isoformat(),
        "--out",
        str(out),
        "--actor",
        spread["manager"].username,
    )
    assert "2/2 (100%)" in capsys.readouterr().out
    call_command("archive", "verify", str(out))
    assert archive.verify_archive(out).cases == [spread["start"].number, spread["end"].number]


def test_the_range_is_checked(world):
    agent, today = world["agent"], timezone.localdate()

    def ask(first, last):
        return services.archive_export_request(
            actor=agent, archived_from=first, archived_to=last, background=False
        )

    with pytest.raises(ValidationFailed) as backwards:
        ask(today, today - timedelta(days=1))
    with pytest.raises(ValidationFailed) as too_long:
        ask(today - timedelta(days=366), today)
    with pytest.raises(ValidationFailed) as empty:
        ask(today - timedelta(days=365), today)  # 366 days is allowed, but holds no case
    assert (backwards.value.field, too_long.value.field, empty.value.field) == (
        "archived_to",
        "archived_to",
        "archived_from",
    )
    with pytest.raises(ValidationFailed):
        ask(None, today)
    applicant = UserFactory(unit=None, role=Role.APPLICANT)
    with pytest.raises(PermissionDenied):
        services.archive_export_request(actor=applicant, archived_from=today, archived_to=today)
    assert not ArchiveExport.objects.exists()
    assert not Event.objects.filter(action="archive.export").exists()


# Permissions and the job.


def test_only_an_archived_case_in_sight_is_exported(world):
    agent = world["agent"]
    with pytest.raises(Conflict) as refused:
        services.archive_export_request(actor=agent, case=make(world, State.DELIVERED))
    assert refused.value.status_code == 409
    case = make(world, State.ARCHIVED)
    outsider = UserFactory(unit=world["tree"]["villages"][2], role=Role.AGENT)
    with pytest.raises(NotFound):
        services.archive_export_request(actor=outsider, case=case)
    with pytest.raises(PermissionDenied):
        services.archive_export_request(
            actor=UserFactory(unit=None, role=Role.APPLICANT), case=case
        )
    assert not ArchiveExport.objects.exists()


def test_a_request_runs_after_commit_once_and_one_at_a_time(
    world, django_capture_on_commit_callbacks
):
    case = make(world, State.ARCHIVED)
    agent = world["agent"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        export = services.archive_export_request(actor=agent, case=case)
    assert (export.state, export.total, len(callbacks)) == ("queued", 1, 1)
    with pytest.raises(Conflict):
        services.archive_export_request(actor=agent, case=case)
    callbacks[0]()
    export.refresh_from_db()
    assert export.state == "done" and export.file
    # A task delivered twice does not run twice.
    assert services.archive_export_run(export_id=export.pk).file.name == export.file.name
    services.archive_export_request(actor=agent, case=case, background=False)


def test_a_stored_file_changed_on_disk_fails_the_export_and_leaves_no_file(world, settings):
    agent = world["agent"]
    case = make(world, State.DELIVERED)
    receipt = document_generate(actor=agent, case=case, kind=Kind.ACCEPTANCE_RECEIPT)
    case_services.rating_record(actor=agent, case=case, revision=_fresh(case).revision, level=4)
    case = case_services.case_archive(actor=agent, case=case, revision=_fresh(case).revision)
    (Path(settings.MEDIA_ROOT) / receipt.file.name).write_bytes(b"%PDF-1.4 replaced")
    export = export_one(agent, case)
    assert export.state == "failed" and receipt.filename in export.error
    assert not export.file and export.sha256 == ""
    archives = Path(settings.MEDIA_ROOT) / "archives"
    assert not archives.exists() or not any(archives.iterdir())


def test_a_requester_moved_since_gets_no_file(world):
    agent = world["agent"]
    case = make(world, State.ARCHIVED)
    export = services.archive_export_request(actor=agent, case=case, background=False)
    agent.unit = world["tree"]["villages"][2]
    agent.save()
    export = services.archive_export_run(export_id=export.pk)
    assert export.state == "failed" and export.error and not export.file


# The pages.


def test_the_case_page_exports_and_the_pages_follow_and_download(
    client, world, django_capture_on_commit_callbacks
):
    case = make(world, State.ARCHIVED)
    client.force_login(world["agent"])
    url = reverse("documents:archive-case", args=[case.pk])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f'action="{url}"' in page and 'data-testid="archive-export-start"' in page
    assert client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    export = ArchiveExport.objects.get()
    status_url = reverse("documents:archive-export", args=[export.pk])
    assert response.status_code == 302 and response["Location"] == status_url
    status = client.get(status_url)
    assert status.status_code == 200 and 'data-state="done"' in status.content.decode()
    download_url = reverse("documents:archive-download", args=[export.pk])
    assert download_url in status.content.decode()
    fragment = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.startswith('<div id="archive-export-status"')
    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Cache-Control"] == "private, no-store"
    assert download["Content-Type"] == "application/zip"
    assert "attachment" in download["Content-Disposition"]
    data = b"".join(download.streaming_content)
    assert hashlib.sha256(data).hexdigest() == export.sha256
    assert archive.verify_archive(io.BytesIO(data)).ok
    listing = client.get(reverse("documents:archives")).content.decode()
    assert case.number in listing and download_url in listing


def test_a_running_export_polls(client, world, django_capture_on_commit_callbacks):
    case = make(world, State.ARCHIVED)
    client.force_login(world["agent"])
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("documents:archive-case", args=[case.pk]))
    export = ArchiveExport.objects.get()
    page = client.get(reverse("documents:archive-export", args=[export.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page and "<progress" in page
    assert client.post(reverse("documents:archive-case", args=[case.pk])).status_code == 409


def test_a_case_not_archived_has_no_button_and_is_refused(client, world):
    case = make(world, State.DELIVERED)
    client.force_login(world["agent"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "archive-export-start" not in page
    assert client.post(reverse("documents:archive-case", args=[case.pk])).status_code == 409
    assert not ArchiveExport.objects.exists()


def test_others_may_not_export_follow_or_download(
    client, world, django_capture_on_commit_callbacks
):
    case = make(world, State.ARCHIVED)
    with django_capture_on_commit_callbacks(execute=True):
        export = services.archive_export_request(actor=world["agent"], case=case)
    urls = [
        reverse("documents:archive-export", args=[export.pk]),
        reverse("documents:archive-download", args=[export.pk]),
    ]
    outsider = UserFactory(unit=world["tree"]["villages"][2], role=Role.AGENT)
    town_manager = UserFactory(unit=world["tree"]["towns"][0], role=Role.MANAGER)
    for other in (outsider, town_manager):
        client.force_login(other)
        assert [client.get(url).status_code for url in urls] == [404, 404]
    client.force_login(outsider)
    assert client.post(reverse("documents:archive-case", args=[case.pk])).status_code == 404
    client.force_login(UserFactory(unit=None, role=Role.APPLICANT))
    assert [client.get(url).status_code for url in urls] == [403, 403]
    assert client.get(reverse("documents:archives")).status_code == 403
    client.logout()
    assert client.get(urls[1]).status_code == 302  # to the login page
    assert ArchiveExport.objects.count() == 1


def test_the_bulk_page_starts_a_range_export(client, world, django_capture_on_commit_callbacks):
    case = make(world, State.ARCHIVED)
    manager = UserFactory(unit=world["tree"]["towns"][0], role=Role.MANAGER)
    client.force_login(manager)
    workbench = client.get(reverse("cases:workbench")).content.decode()
    assert reverse("documents:archives") in workbench
    page = client.get(reverse("documents:archives"))
    assert page.status_code == 200 and 'data-testid="archive-range"' in page.content.decode()
    today = timezone.localdate().isoformat()
    backwards = {"archived_from": today, "archived_to": "2000-01-01"}
    assert client.post(reverse("documents:archives"), backwards).status_code == 400
    assert client.post(reverse("documents:archives"), {}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("documents:archives"), {"archived_from": today, "archived_to": today}
        )
    export = ArchiveExport.objects.get()
    assert response["Location"] == reverse("documents:archive-export", args=[export.pk])
    export.refresh_from_db()
    assert (export.state, export.done, export.total) == ("done", 1, 1)
    download = client.get(reverse("documents:archive-download", args=[export.pk]))
    report = archive.verify_archive(io.BytesIO(b"".join(download.streaming_content)))
    assert report.ok and report.cases == [case.number]
