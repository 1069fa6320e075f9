"""Every figure of the benchmark: pages and API through gunicorn, jobs and computations
in-process, each list next to its raw-SQL floor and the framework floor."""

import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from loadclient import Client, Figure, measure, throughput

BENCH = Path(__file__).resolve().parent
PASSWORD = "Demo@2026!"
# The case the registration figures register (an item is added per request).
APPLICATION = {
    "kind": "assist",
    "channel": "window",
    "category": "personal",
    "applicant_type": "person",
    "applicant_name": "张秀英",
    "id_number": "11010519491231002X",
    "phone": "13912345678",
}


def _client(port: int, username: str | None = None) -> Client:
    client = Client(port)
    if username:
        client.login("/login/", username, PASSWORD)
    return client


def _api_client(port: int, username: str) -> Client:
    client = Client(port)
    status, _h, body, _s = client.post_json(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD}
    )
    assert status == 200, (status, body[:200])
    client.headers["Authorization"] = f"Token {json.loads(body)['token']}"
    return client


def _timed(name: str, fn, n: int, warmup: int = 3, unit: str = "ms") -> Figure:
    figure = Figure(name, unit=unit)
    for i in range(warmup + n):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            fn(i)
            seconds = time.perf_counter() - started
        if i >= warmup:
            figure.samples.append(seconds * 1000)
            figure.queries.append(len(queries.captured_queries))
    return figure


def _sql_floor(name: str, evaluate, n: int) -> Figure:
    """The SQL a list issues (its count, its page, the page's related rows), replayed alone on
    one connection: the client round trip of all of them (execute and fetch every row), and
    EXPLAIN ANALYZE's execution time of the page query on PostgreSQL."""
    with CaptureQueriesContext(connection) as captured:
        evaluate()
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    figure = Figure(name)
    if not selects:
        figure.extra["note"] = "no query captured"
        return figure
    # The list's own query: the longest one that reads cases_case with a LIMIT.
    main = max((s for s in selects if "LIMIT" in s and '"cases_case"' in s), key=len, default=None)
    figure.extra["statements"] = len(selects)
    figure.extra["sql"] = main or selects[0]
    with connection.cursor() as cursor:
        for i in range(3 + n):
            started = time.perf_counter()
            for sql in selects:
                cursor.execute(sql)
                cursor.fetchall()
            if i >= 3:
                figure.samples.append((time.perf_counter() - started) * 1000)
        if connection.vendor == "postgresql" and main:
            plans = []
            for _i in range(5):
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + main)
                plan = cursor.fetchone()[0]
                plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
                plans.append(plan["Execution Time"])
            figure.extra["explain_ms"] = round(statistics.median(plans), 2)
    return figure


def run_all(*, port: int, args, out) -> dict:
    from bangban.cases import selectors
    from bangban.cases.models import Case
    from bangban.catalog.models import Item
    from bangban.org.models import User

    n = args.requests
    figures: dict[str, dict] = {}
    only = set(args.only.split(",")) if getattr(args, "only", None) else None

    def want(group: str) -> bool:
        return only is None or group in only

    def keep(key: str, figure: Figure) -> None:
        figures[key] = figure.summary()
        s = figures[key]
        out(
            f"  {key}: median {s.get('median')} p95 {s.get('p95')} {figure.unit}"
            + (f", {s['queries']} queries" if "queries" in s else "")
            + (f", rate {s['rate']}/s" if "rate" in s else "")
            + (f", {s['rows']} rows in {s['seconds']} s" if "rows" in s else "")
        )

    manager = User.objects.get(username="town01-manager")
    village_agent = User.objects.get(username="village01-agent")
    town_agent = User.objects.get(username="town01-agent")
    centre = User.objects.get(username="centre")
    # The year the dashboard shows and the assessment computes: the current one.
    year = timezone.localdate().year
    out("measuring pages (warm-up first, then the timed requests)…")
    web_manager = _client(port, manager.username)

    def first_page(actor, queue, filters=None):
        return lambda: list(
            Paginator(selectors.case_queue(actor=actor, queue=queue, filters=filters), 50)
            .get_page(1)
            .object_list
        )

    # Queue lists -------------------------------------------------------------------------
    if want("queue"):
        keep("queue_manager", measure(web_manager, "queue_manager", "/cases/?queue=open", n=n))
        web_village = _client(port, village_agent.username)
        keep("queue_village", measure(web_village, "queue_village", "/cases/?queue=mine", n=n))

        keep("queue_manager_sql", _sql_floor("queue_manager_sql", first_page(manager, "open"), n))
        keep(
            "queue_village_sql",
            _sql_floor("queue_village_sql", first_page(village_agent, "mine"), n),
        )

    # The case page -------------------------------------------------------------------------
    if want("case_page"):
        scope = selectors.cases_visible(actor=manager)
        case_ids = list(scope.order_by("-pk").values_list("pk", flat=True)[: n * 3 : 3]) or [
            Case.objects.order_by("pk").values_list("pk", flat=True).first()
        ]
        keep(
            "case_page",
            measure(web_manager, "case_page", [f"/cases/{pk}/" for pk in case_ids], n=n),
        )

    # The case list API, with its floors ---------------------------------------------------
    if want("api"):
        api_manager = _api_client(port, manager.username)
        api_path = "/api/v1/cases/?state=in_progress&channel=window"
        keep("api_list", measure(api_manager, "api_list", api_path, n=n))

        def api_first_page():
            # What the API issues for its first page: the rows with their items in keyset
            # order, one more than the page to know whether there is a next.
            from bangban.cases.api import CaseListPagination

            paginator = CaseListPagination()
            paginator.fields = paginator._fields(Case)
            list(
                selectors.case_rows(
                    actor=manager,
                    queue="all",
                    filters=selectors.CaseFilters(state="in_progress", channel="window"),
                ).order_by(*paginator._order(True))[:51]
            )

        keep("api_list_sql", _sql_floor("api_list_sql", api_first_page, n))
        floor = Client(port)
        keep(
            "api_list_framework_floor",
            measure(
                floor,
                "api_list_framework_floor",
                "/bench/floor/cases/?state=in_progress&channel=window",
                n=n,
            ),
        )

    # Supervision ---------------------------------------------------------------------------
    if want("supervision"):
        web_centre = _client(port, centre.username)
        keep(
            "dashboard",
            measure(web_centre, "dashboard", f"/supervision/dashboard/?year={year}", n=n, warmup=2),
        )
        keep("overdue_board", measure(web_centre, "overdue_board", "/supervision/overdue/", n=n))

    # The portal ----------------------------------------------------------------------------
    if want("portal"):
        public = Client(port)
        keep(
            "portal_search",
            measure(
                public,
                "portal_search",
                [
                    f"/public/items/?q={quote(q)}"
                    for q in ("营业执照", "户口", "社保", "医保", "不动产")
                ],
                n=n,
            ),
        )
        item_ids = list(Item.objects.filter(is_active=True).values_list("pk", flat=True)[:10])
        keep(
            "guide_page",
            measure(public, "guide_page", [f"/public/items/{i}/" for i in item_ids], n=n),
        )

    # Registration throughput, then one action on what it registered -------------------------
    if want("registration"):
        item = _registrable_item(port, town_agent.username)
        payload = {
            **APPLICATION,
            "address": "城关街道人民路1号",
            "items": [item],
        }

        def register(client: Client, _index: int, _i: int) -> bool:
            status, _h, _b, _s = client.post_json("/api/v1/cases/", payload)
            return status == 201

        before = Case.objects.count()
        figure = throughput(
            lambda _k: _api_client(port, town_agent.username),
            "registration",
            register,
            clients=4,
            seconds=args.seconds,
        )
        keep("registration", figure)
        registered = list(
            Case.objects.filter(state="registered", created_by=town_agent)
            .order_by("-pk")
            .values_list("pk", "revision")[: n + 5]
        )
        out(f"  ({len(registered)} of {Case.objects.count() - before} new cases to accept)")
        api_agent = _api_client(port, town_agent.username)
        accept = Figure("accept")
        for i, (pk, revision) in enumerate(registered):
            status, headers, body, seconds = api_agent.post_json(
                f"/api/v1/cases/{pk}/accept/", {"revision": revision}
            )
            if status != 200:
                raise RuntimeError(f"accept answered {status}: {body[:300]!r}")
            if i >= 5:
                accept.samples.append(seconds * 1000)
                accept.queries.append(int(headers.get("X-Queries", 0)))
        keep("accept", accept)

    # In-process: assessment, PDF, due dates, ledger ------------------------------------------
    if want("assessment"):
        keep("assessment_year", _assessment(centre, year))
    if want("pdf"):
        keep("agreement_pdf", _agreement_pdf(manager, n))
    if want("due_dates"):
        keep("due_dates", _due_dates())
    if want("ledger"):
        keep("ledger_export", _ledger_export(centre))
    return figures


def _registrable_item(port: int, username: str) -> int:
    """An item the town point may register (its tier offers it)."""
    from bangban.catalog.models import Item

    client = _api_client(port, username)
    for pk in Item.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True):
        status, _h, _body, _s = client.post_json(
            "/api/v1/cases/",
            {**APPLICATION, "items": [pk]},
        )
        if status == 201:
            return pk
    raise RuntimeError("no item can be registered at the town point")


def _assessment(centre, year: int) -> Figure:
    from bangban.assessment.services import assessment_compute

    # A job, not a page: every town's annex 3 sheet and its sampled villages', computed
    # twice (the second run is the one a recomputation costs; both are reported).
    return _timed(
        "assessment_year",
        lambda _i: assessment_compute(actor=centre, year=year),
        n=2,
        warmup=0,
    )


def _agreement_pdf(manager, n: int) -> Figure:
    from bangban.cases.models import Agreement
    from bangban.documents.builders import build
    from bangban.documents.models import Kind
    from bangban.documents.rendering import form_hash, render_form

    case = (
        Agreement.objects.filter(case__unit__path__startswith=manager.unit.path)
        .select_related("case")
        .order_by("-pk")
        .first()
        .case
    )

    def render(_i: int) -> bytes:
        # What printing does: gather the form's data, hash it, render the PDF.
        form = build(case, Kind.DELEGATION_AGREEMENT)
        digest = form_hash(form.template, data=form.data, qr_url=form.qr_url)
        return render_form(form.template, data=form.data, qr_url=form.qr_url, digest=digest)

    return _timed("agreement_pdf", render, n=n)


def _due_dates() -> Figure:
    from bangban.core.calendar import add_working_days

    rng = random.Random(1)
    today = timezone.localdate()
    starts = [today - timedelta(days=rng.randrange(700)) for _ in range(10_000)]
    limits = [rng.randint(1, 20) for _ in range(10_000)]
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < 2.0:
        for start, limit in zip(starts, limits, strict=True):
            add_working_days(start, limit)
        done += len(starts)
    figure = Figure("due_dates", unit="per s")
    figure.extra["rate"] = round(done / (time.perf_counter() - started))
    return figure


LEDGER_SCRIPT = """
import json, os, resource, sys, time
sys.path.insert(0, {bench!r})


def peak_mb():
    # This process's own peak (VmHWM). Not ru_maxrss: Linux carries the peak of the process
    # that forked it (the bench, several hundred MB) across exec, which hid the export's growth.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


import django
django.setup()
from datetime import date
from bangban.cases.selectors import CaseFilters
from bangban.org.models import User
from bangban.supervision.ledger import ledger_write
actor = User.objects.get(username="centre")
filters = CaseFilters(registered_from=date.fromisoformat({since!r}) if {since!r} else None)
before = peak_mb()
started = time.perf_counter()
rows = ledger_write({path!r}, actor=actor, filters=filters)
seconds = time.perf_counter() - started
print(json.dumps({{"rows": rows, "seconds": seconds, "rss_growth_mb": peak_mb() - before,
                  "bytes": os.path.getsize({path!r})}}))
"""


def _ledger_export(centre) -> Figure:
    """The county ledger of the newest 100,000 cases (or all, below that), in a fresh process
    so that its peak memory growth is its own."""
    from bangban.cases.models import Case

    total = Case.objects.count()
    since = ""
    if total > 100_000:
        moment = Case.objects.order_by("-registered_at").values_list("registered_at", flat=True)[
            100_000
        ]
        since = (timezone.localtime(moment).date() + timedelta(days=1)).isoformat()
    path = str(Path(os.environ["BANGBAN_VAR_DIR"]) / "bench-ledger.xlsx")
    script = LEDGER_SCRIPT.format(bench=str(BENCH), since=since, path=path)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=os.environ, check=True
    )
    data = json.loads(done.stdout.strip().splitlines()[-1])
    figure = Figure("ledger_export", unit="s")
    figure.extra = {
        "rows": data["rows"],
        "seconds": round(data["seconds"], 2),
        "rss_growth_mb": round(data["rss_growth_mb"], 1),
        "xlsx_mb": round(data["bytes"] / 2**20, 1),
    }
    return figure
