"""Crash safety (issue 9): the process doing the work is killed with SIGKILL at the worst
moment of a catalog import, a case transition, an archive export and the outbox drain, then
started again. Afterwards there is no partial state, no duplicate SMS and no lost message, and
the event chain verifies.

The moment is chosen by a failpoint (bangban.core.faults): the subprocess gets
BANGBAN_CRASH_AT=<point> in its environment and kills itself there. The queued work runs in the
real worker, `bangban db_worker --no-reload --batch`; the case transition in a real gunicorn
worker. Both see the test database, so these are `transaction=True` tests. A killed worker's
task is taken back by the next `bangban db_worker` on the same host (bangban.core.worker); the
last test checks that only dead workers' tasks are."""

import hashlib
import io
import json
import os
import socket
import subprocess
import urllib.error
import urllib.request
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token

from bangban.cases.models import Case, CaseLog
from bangban.cases.workflow import State
from bangban.catalog import excel
from bangban.catalog.import_jobs import import_job_create
from bangban.catalog.models import ImportJob, Item, ItemVersion
from bangban.core import faults
from bangban.core.events import events_verify
from bangban.core.models import Event
from bangban.core.worker import orphans_requeue, prepare
from bangban.documents import archive
from bangban.documents.models import ArchiveExport
from bangban.documents.services import archives as archive_services
from bangban.documents.tasks import run_archive_export
from bangban.notify.models import Kind, OutboxMessage
from bangban.notify.services import CLAIM_SECONDS, outbox_drain, outbox_enqueue
from bangban.notify.tasks import drain_outbox
from tests.cases.api_helpers import make_world, register
from tests.cases.factories import item_of
from tests.catalog.conftest import catalog_admin, county_with_departments
from tests.documents.conftest import make, world
from tests.notify import gateway as standin
from tests.security.processes import Gunicorn, worker

__all__ = ["catalog_admin", "county_with_departments", "world"]

pytestmark = pytest.mark.django_db(transaction=True)

KILLED = -9  # a subprocess's return code after SIGKILL


@pytest.fixture
def media(settings, tmp_path) -> dict[str, str]:
    """One var dir (media files) for this process and the subprocesses."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return {"BANGBAN_VAR_DIR": str(tmp_path)}


def _crashed(result) -> None:
    assert result.returncode == KILLED, (result.returncode, result.stdout, result.stderr)


def _finished(result) -> None:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)


def _chain_verifies() -> None:
    report = events_verify()
    assert report.ok, report


def test_a_killed_catalog_import_leaves_no_item_and_runs_again(
    county_with_departments, catalog_admin, media, tmp_path
):
    department = county_with_departments["dept"]
    items = [
        item_of(department, actor=catalog_admin, name=f"事项{n}", limit_days=5) for n in range(6)
    ]
    path = tmp_path / "catalog.xlsx"
    excel.catalog_export(path)
    book = load_workbook(path)
    sheet = book["事项"]
    column = [cell.value for cell in sheet[1]].index("承诺办理时限（工作日）") + 1
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=column, value=9)  # every item changes: six new versions
    book.save(path)
    upload = SimpleUploadedFile("事项清单.xlsx", path.read_bytes())
    job = import_job_create(actor=catalog_admin, upload=upload)
    versions, events = ItemVersion.objects.count(), Event.objects.count()

    # Killed with three of the six items written in the import's transaction.
    _crashed(worker(BANGBAN_CRASH_AT=faults.CATALOG_IMPORT, **media))
    assert ItemVersion.objects.count() == versions
    assert Event.objects.count() == events
    assert set(Item.objects.values_list("promised_limit_days", flat=True)) == {5}
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.RUNNING
    _chain_verifies()

    # The worker started again takes the dead worker's task back and imports all of it.
    _finished(worker(**media))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED, (job.status, job.summary)
    assert job.summary["updated"] == len(items)
    assert set(Item.objects.values_list("promised_limit_days", flat=True)) == {9}
    assert ItemVersion.objects.count() == versions + len(items)
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
    _chain_verifies()


def _accept(server: Gunicorn, token: str, case: Case) -> int:
    request = urllib.request.Request(
        f"{server.url}/api/v1/cases/{case.pk}/accept/",
        data=json.dumps({"revision": case.revision}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def test_a_killed_case_transition_leaves_the_case_as_it_was(
    county_with_departments, catalog_admin, media
):
    people = make_world(county_with_departments, catalog_admin)
    token = Token.objects.create(user=people["agent_user"]).key
    case = Case.objects.get(pk=register(people).pk)
    events, logs = Event.objects.count(), CaseLog.objects.count()
    messages = OutboxMessage.objects.count()

    # The gunicorn worker dies between the case's update and its event: the client is cut off.
    server = Gunicorn(workers=1, BANGBAN_CRASH_AT=faults.CASE_TRANSITION, **media)
    try:
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            _accept(server, token, case)
    finally:
        server.stop()
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, stored.revision, stored.accepted_on) == (
        State.REGISTERED,
        case.revision,
        None,
    )
    assert (Event.objects.count(), CaseLog.objects.count()) == (events, logs)
    assert OutboxMessage.objects.count() == messages  # nor an SMS about it
    _chain_verifies()

    # Restarted, the same request (same revision) goes through once, with its one event.
    server = Gunicorn(workers=1, **media)
    try:
        assert _accept(server, token, case) == 200
    finally:
        server.stop()
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, stored.revision) == (State.ACCEPTED, case.revision + 1)
    assert Event.objects.count() == events + 1
    assert Event.objects.order_by("-seq").first().action == "case.accept"
    assert CaseLog.objects.count() == logs + 1
    assert OutboxMessage.objects.filter(kind=Kind.ACCEPTED).count() == 1
    _chain_verifies()


def test_a_killed_archive_export_is_never_a_truncated_file_and_is_made_again(world, media):
    case = make(world, State.ARCHIVED)
    export = archive_services.archive_export_request(actor=world["agent"], case=case)
    folder = Path(media["BANGBAN_VAR_DIR"]) / "media" / "archives"

    # Killed with part of the zip written to its file.
    _crashed(worker(BANGBAN_CRASH_AT=faults.ARCHIVE_WRITE, **media))
    export.refresh_from_db()
    assert export.state == ArchiveExport.State.RUNNING
    assert not export.file and not export.sha256
    # What is on disk is only the hidden partial file, never a zip under an export's name.
    assert [p.name for p in folder.iterdir() if not p.name.startswith(".")] == []
    assert [p.suffix for p in folder.iterdir()] == [".partial"]
    with pytest.raises(archive_services.NotFound):
        # The requester is told it is still running, not given a file.
        archive_services.archive_export_file(actor=world["agent"], pk=export.pk)
    _chain_verifies()

    _finished(worker(**media))
    export.refresh_from_db()
    assert export.state == ArchiveExport.State.DONE, (export.state, export.error)
    files = sorted(folder.iterdir())
    assert files == [folder / Path(export.file.name).name]  # the partial file is gone
    data = files[0].read_bytes()
    assert hashlib.sha256(data).hexdigest() == export.sha256
    report = archive.verify_archive(io.BytesIO(data))
    assert report.ok, report.problems
    assert report.cases == [case.number]
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    _chain_verifies()


def test_a_killed_outbox_drain_sends_every_message_exactly_once(settings, media):
    """The hazard: the gateway accepted a message, the worker died before marking it sent. It
    is sent again with the same OutId, which the gateway (here a stand-in for the provider,
    tests/notify/gateway.py, that drops a repeated OutId as Aliyun dysms does) delivers once."""
    gateway = standin.StandInGateway().start()
    templates = {kind.value: f"SMS_{100000 + i}" for i, kind in enumerate(Kind)}
    sms = {
        "BANGBAN_SMS_BACKEND": "gateway",
        "BANGBAN_SMS_GATEWAY_URL": gateway.url,
        "BANGBAN_SMS_ACCESS_KEY_ID": standin.ACCESS_KEY_ID,
        "BANGBAN_SMS_ACCESS_KEY_SECRET": standin.ACCESS_KEY_SECRET,
        "BANGBAN_SMS_SIGN_NAME": standin.SIGN_NAME,
        "BANGBAN_SMS_TEMPLATES": ",".join(f"{k}={v}" for k, v in templates.items()),
        "BANGBAN_SMS_TIMEOUT": "5",
        **media,
    }
    try:
        with transaction.atomic():
            ids = [
                outbox_enqueue(
                    kind=Kind.ACCEPTED,
                    phone=f"1380000000{n}",
                    params={"number": f"BB-{n}"},
                    dedupe_key=f"crash:{n}",
                ).pk
                for n in range(3)
            ]
        # Their own send tasks are lost (a queue flushed): only the drain finds them.
        DBTaskResult.objects.all().delete()
        drain_outbox.enqueue()

        _crashed(worker(BANGBAN_CRASH_AT=faults.OUTBOX_SENT, **sms))
        first = str(min(ids))
        assert dict(gateway.delivered) == {first: 1}  # the provider has it, the outbox not
        assert OutboxMessage.objects.get(pk=min(ids)).state == OutboxMessage.State.PENDING

        # Restarted: the drain runs again and sends the others; the first is still claimed.
        _finished(worker(**sms))
        assert dict(gateway.delivered) == {str(pk): 1 for pk in ids}
        # Two minutes on, the claim has run out and the scheduler's drain sends it again.
        settings.BANGBAN_SMS_BACKEND = "gateway"
        settings.BANGBAN_SMS_GATEWAY_URL = gateway.url
        settings.BANGBAN_SMS_ACCESS_KEY_ID = standin.ACCESS_KEY_ID
        settings.BANGBAN_SMS_ACCESS_KEY_SECRET = standin.ACCESS_KEY_SECRET
        settings.BANGBAN_SMS_SIGN_NAME = standin.SIGN_NAME
        settings.BANGBAN_SMS_TEMPLATES = templates
        later = timezone.now() + timedelta(seconds=CLAIM_SECONDS + 1)
        assert outbox_drain(now=later) == 1
    finally:
        gateway.stop()
    assert {m.state for m in OutboxMessage.objects.all()} == {OutboxMessage.State.SENT}
    # Four requests for three messages, and every phone got its message exactly once.
    assert len(gateway.requests) == 4
    assert gateway.duplicates == 1
    assert dict(gateway.delivered) == {str(pk): 1 for pk in ids}
    out_ids = [r["OutId"] for r in gateway.requests]
    assert sorted(out_ids) == sorted([str(pk) for pk in ids] + [first])
    _chain_verifies()


@pytest.mark.django_db
def test_only_the_tasks_of_dead_workers_of_this_host_are_requeued():
    """A RUNNING task is handed back only when its worker ran here under a process id that is
    gone; a live worker's task (this very process) and another machine's are left alone, and a
    task that claims a job is told it is a redelivery."""
    dead_pid = subprocess.Popen(["true"])  # a process that has exited and been reaped
    dead_pid.wait()
    host = socket.gethostname()[:30]
    owners = {
        "dead": f"{host}:{dead_pid.pid}:abcdefgh",
        "alive": f"{host}:{os.getpid()}:abcdefgh",
        "elsewhere": f"another-host:{dead_pid.pid}:abcdefgh",
        "unnamed": "x" * 32,  # an id the operator gave; nothing to go by
    }
    results = {}
    for name, owner in owners.items():
        result = DBTaskResult.objects.get(pk=drain_outbox.enqueue().id)
        result.claim(owner)
        results[name] = result
    redelivered = DBTaskResult.objects.get(pk=run_archive_export.enqueue(12345).id)
    redelivered.claim(owners["dead"])

    assert orphans_requeue() == 2
    status = {name: DBTaskResult.objects.get(pk=r.pk).status for name, r in results.items()}
    assert status == {
        "dead": "READY",
        "alive": "RUNNING",
        "elsewhere": "RUNNING",
        "unnamed": "RUNNING",
    }
    again = DBTaskResult.objects.get(pk=redelivered.pk)
    assert (again.status, again.args_kwargs["kwargs"]) == ("READY", {"redelivered": True})
    assert DBTaskResult.objects.get(pk=results["dead"].pk).args_kwargs["kwargs"] == {}
    # The worker's own id names this host and process, so its tasks can be told apart.
    argv = prepare(["bangban", "db_worker", "--batch"])
    assert argv[-2] == "--worker-id" and argv[-1].startswith(f"{host}:{os.getpid()}:")
    assert prepare(["bangban", "db_worker", "--worker-id", "w1"])[-1] == "w1"
