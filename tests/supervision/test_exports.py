"""Ledger exports as jobs: the request (permission, one event, queued after commit, one at a
time), the run and its progress fields, the pages, the download permission and the command."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from bangban.cases.selectors import CaseFilters
from bangban.cases.workflow import State
from bangban.core.errors import Conflict, PermissionDenied
from bangban.core.models import Event
from bangban.supervision import services
from bangban.supervision.models import LedgerExport
from tests.cases.factories import case_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _inline(exports_inline):
    """Every export here runs inline (see conftest.py)."""


@pytest.fixture
def cases(area):
    village1, village2 = area["agents"]
    item = area["items"][0]
    return [
        case_in_state(State.REGISTERED, actor=village1, items=[item]),
        case_in_state(State.ARCHIVED, actor=village1, items=[item]),
        case_in_state(State.REGISTERED, actor=village2, items=[item]),
    ]


def test_a_request_is_one_event_and_runs_after_commit(
    area, cases, django_capture_on_commit_callbacks
):
    events = Event.objects.count()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        export = services.ledger_export_request(
            actor=area["manager"], filters=CaseFilters(state=State.REGISTERED)
        )
    assert Event.objects.count() == events + 1
    event = Event.objects.latest("seq")
    assert (event.action, event.object_id, event.unit_path) == (
        "ledger.export",
        str(export.pk),
        area["town"].path,
    )
    export.refresh_from_db()
    assert (export.state, export.scope, export.filters) == (
        "queued",
        area["town"].path,
        {"state": "registered"},
    )
    assert len(callbacks) == 1
    callbacks[0]()
    export.refresh_from_db()
    assert export.state == LedgerExport.State.DONE
    assert (export.total, export.done, export.percent) == (2, 2, 100)
    assert export.file.name.startswith("ledger/ledger-")
    assert export.finished_at is not None and export.error == ""
    with export.file.open("rb") as handle:
        rows = list(load_workbook(handle).active.iter_rows(min_row=4, values_only=True))
    assert [row[1] for row in rows] == [cases[0].number, cases[2].number]


def test_progress_is_saved_while_it_runs(area, cases, monkeypatch):
    seen = []
    monkeypatch.setattr(services.ledger, "CHUNK_SIZE", 1)
    original = services.ledger.ledger_write

    def write(out, **kwargs):
        return original(out, **kwargs, chunk_size=1)

    monkeypatch.setattr(services.ledger, "ledger_write", write)
    export = services.ledger_export_request(
        actor=area["supervisor"], filters=CaseFilters(), background=False
    )

    def progress(done, total):
        row = LedgerExport.objects.get(pk=export.pk)
        seen.append((row.state, row.done, row.total))

    services.ledger_export_run(export_id=export.pk, progress=progress)
    assert seen == [
        ("running", 0, 3),
        ("running", 1, 3),
        ("running", 2, 3),
        ("running", 3, 3),
        ("running", 3, 3),
    ]


def test_a_finished_export_is_not_run_again(area, cases):
    export = services.ledger_export_request(
        actor=area["supervisor"], filters=CaseFilters(), background=False
    )
    name = services.ledger_export_run(export_id=export.pk).file.name
    assert name and services.ledger_export_run(export_id=export.pk).file.name == name


def test_an_export_left_running_by_a_dead_worker_is_made_when_redelivered(area, cases):
    """A worker killed while writing leaves the export RUNNING (and its requester unable to ask
    for another). Delivered again as such (core.worker), it is written; delivered again
    without that mark, a running export is someone else's and is left alone."""
    export = services.ledger_export_request(
        actor=area["supervisor"], filters=CaseFilters(), background=False
    )
    LedgerExport.objects.filter(pk=export.pk).update(state=LedgerExport.State.RUNNING)
    assert services.ledger_export_run(export_id=export.pk).state == LedgerExport.State.RUNNING
    done = services.ledger_export_run(export_id=export.pk, redelivered=True)
    assert done.state == LedgerExport.State.DONE and done.file
    assert load_workbook(done.file.path).active.max_row > 1


def test_one_export_at_a_time(area, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.ledger_export_request(actor=area["supervisor"], filters=CaseFilters())
    with pytest.raises(Conflict):
        services.ledger_export_request(actor=area["supervisor"], filters=CaseFilters())


def test_an_applicant_may_not_export(area):
    with pytest.raises(PermissionDenied):
        services.ledger_export_request(actor=area["applicant"], filters=CaseFilters())
    assert not LedgerExport.objects.exists()


def test_a_requester_moved_since_gets_no_file(area, cases):
    manager = area["manager"]
    export = services.ledger_export_request(actor=manager, filters=CaseFilters(), background=False)
    manager.unit = area["villages"][1]
    manager.save()
    export = services.ledger_export_run(export_id=export.pk)
    assert export.state == LedgerExport.State.FAILED
    assert export.error and not export.file


def login(client, user):
    client.force_login(user)


def test_the_workbench_links_to_the_export_with_its_filters(client, area):
    login(client, area["agents"][0])
    page = client.get(reverse("cases:workbench"), {"queue": "all", "state": "registered"})
    assert page.status_code == 200
    link = reverse("supervision:ledger") + "?queue=all&amp;state=registered"
    assert link in page.content.decode()
    form = client.get(reverse("supervision:ledger"), {"queue": "all", "state": "registered"})
    assert form.status_code == 200
    assert '<option value="registered" selected>' in form.content.decode()


def test_the_pages_start_follow_and_download_an_export(
    client, area, cases, django_capture_on_commit_callbacks
):
    login(client, area["agents"][0])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("supervision:ledger"), {"state": "archived"})
    export = LedgerExport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("supervision:ledger-export", args=[export.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'data-state="done"' in page.content.decode()
    status = client.get(response["Location"], headers={"HX-Request": "true"})
    assert status.content.decode().lstrip().startswith('<div id="ledger-export-status"')
    download = client.get(reverse("supervision:ledger-download", args=[export.pk]))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    workbook = b"".join(download.streaming_content)
    assert workbook[:2] == b"PK"


def test_a_running_export_polls(client, area, django_capture_on_commit_callbacks):
    login(client, area["supervisor"])
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("supervision:ledger"), {})
    export = LedgerExport.objects.get()
    content = client.get(reverse("supervision:ledger-export", args=[export.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in content and "<progress" in content
    again = client.post(reverse("supervision:ledger"), {})
    assert again.status_code == 409


def test_only_the_requester_downloads(client, area, cases, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = services.ledger_export_request(actor=area["agents"][0], filters=CaseFilters())
    url = reverse("supervision:ledger-download", args=[export.pk])
    for other in (area["agents"][1], area["supervisor"], area["manager"]):
        client.logout()
        login(client, other)
        assert client.get(url).status_code == 404
        assert client.get(reverse("supervision:ledger-export", args=[export.pk])).status_code == 404
    client.logout()
    login(client, area["applicant"])
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_a_requester_whose_area_shrank_may_not_download(
    client, area, cases, django_capture_on_commit_callbacks
):
    manager = area["manager"]
    with django_capture_on_commit_callbacks(execute=True):
        export = services.ledger_export_request(actor=manager, filters=CaseFilters())
    manager.unit = area["villages"][0]
    manager.save()
    login(client, manager)
    assert client.get(reverse("supervision:ledger-download", args=[export.pk])).status_code == 403


def test_the_command_exports_with_filters(area, cases, tmp_path, capsys):
    path = tmp_path / "out.xlsx"
    call_command(
        "ledger",
        "export",
        str(path),
        "--actor",
        "village1",
        "--state",
        "registered",
        "--from",
        "2020-01-01",
        "--to",
        "2099-12-31",
    )
    out = capsys.readouterr().out
    assert "1/1 (100%)" in out and str(path) in out
    rows = list(load_workbook(path).active.iter_rows(min_row=4, values_only=True))
    assert [row[1] for row in rows] == [cases[0].number]
    assert LedgerExport.objects.get().state == LedgerExport.State.DONE


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--actor", "nobody"], "nobody"),
        (["--actor", "applicant"], None),
        (["--actor", "village1", "--from", "2026-13-01"], "2026-13-01"),
        (["--actor", "village1", "--from", "2026-02-01", "--to", "2026-01-01"], None),
    ],
)
def test_the_command_refuses_bad_input(area, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("ledger", "export", str(tmp_path / "out.xlsx"), *args)
    assert not (tmp_path / "out.xlsx").exists()
