"""django-helpdesk, side by side: installed by the benchmark into its own virtual environment
(var/bench/helpdesk-venv, never the project's dependencies), on the same database server with
the same number of tickets as bangban has cases, queues standing in for towns, and measured
with the same client: its staff ticket list data (one queue, open), a ticket page, the
dashboard and ticket creation with 4 clients."""

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from loadclient import Client, Figure, measure, throughput

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SITE = BENCH / "helpdesk_site"
PASSWORD = "Bench@2026!"
DASHBOARD_BUDGET = 300.0


def _bounded(client: Client, path: str, *, n: int, budget: float) -> Figure:
    """Up to `n` timed GETs after one warm-up, stopping once `budget` seconds are spent (but
    never before 3): a page that takes a minute cannot be asked 30 times in a bounded run."""
    measure(client, "warm-up", path, n=0, warmup=1)
    figure = Figure("dashboard")
    started = time.monotonic()
    while len(figure.samples) < n and (
        len(figure.samples) < 3 or time.monotonic() - started < budget
    ):
        status, headers, body, seconds = client.get(path)
        if status != 200:
            raise RuntimeError(f"helpdesk dashboard answered {status}: {body[:200]!r}")
        figure.samples.append(seconds * 1000)
        if "X-Queries" in headers:
            figure.queries.append(int(headers["X-Queries"]))
    figure.extra["bounded_seconds"] = budget
    return figure


def _venv(var: Path, out) -> Path:
    venv = var / "helpdesk-venv"
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    requirements = SITE / "requirements.txt"
    if stamp.exists() and stamp.read_text() == requirements.read_text():
        return python
    out("installing django-helpdesk into its own virtual environment…")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(requirements)], check=True)
    stamp.write_text(requirements.read_text())
    return python


def _env(var: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DJANGO_SETTINGS_MODULE"] = "settings"
    env["HELPDESK_VAR"] = str(var)
    env["PYTHONPATH"] = f"{SITE}:{BENCH}"
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        parts = urlsplit(url)
        env["HELPDESK_DATABASE_URL"] = urlunsplit(
            parts._replace(path=parts.path.rstrip("/") + "_helpdesk")
        )
    return env


def _recreate(env: dict) -> None:
    url = env.get("HELPDESK_DATABASE_URL")
    if url:
        import psycopg

        parts = urlsplit(url)
        admin = urlunsplit(parts._replace(path="/postgres"))
        name = parts.path.lstrip("/")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        (Path(env["HELPDESK_VAR"]) / "helpdesk.sqlite3").unlink(missing_ok=True)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*, scale: int, args, out) -> dict:
    var = ROOT / "var" / "bench"
    python = _venv(var, out)
    env = _env(var)
    started = time.monotonic()
    if not args.reuse:
        _recreate(env)
    django_admin = [str(python), "-m", "django"]
    subprocess.run([*django_admin, "migrate", "-v", "0"], env=env, check=True, cwd=SITE)
    if not args.reuse:
        subprocess.run(
            [str(python), str(SITE / "generate_tickets.py"), str(scale)],
            env=env,
            check=True,
            cwd=SITE,
        )
    generation = round(time.monotonic() - started, 1)
    port = _free_port()
    server = subprocess.Popen(
        [
            str(python.parent / "gunicorn"),
            "wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(args.workers),
            "--keep-alive",
            "30",
            "--timeout",
            "600",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=SITE,
    )
    figures: dict[str, dict] = {}
    try:
        from run import _wait_for

        _wait_for(port, server)
        n = args.requests

        def staff() -> Client:
            client = Client(port)
            client.login("/login/", "bench", PASSWORD)
            return client

        client = staff()
        query = {
            "filtering": {"status__in": [1, 2], "queue__id__in": [1]},
            "sorting": "created",
            "sortreverse": False,
            "search_string": "",
        }
        encoded = base64.b64encode(json.dumps(query).encode()).decode()
        list_path = f"/datatables_ticket_list/{encoded}?draw=1&start=0&length=50"

        def keep(key: str, figure: Figure) -> None:
            figures[key] = figure.summary()
            s = figures[key]
            out(
                f"  helpdesk {key}: median {s.get('median')} p95 {s.get('p95')}"
                + (f", {s['queries']} queries" if "queries" in s else "")
                + (f", rate {s['rate']}/s" if "rate" in s else "")
            )

        out("measuring django-helpdesk…")
        keep("list", measure(client, "list", list_path, n=n, warmup=2))
        keep(
            "ticket_page",
            measure(client, "ticket_page", [f"/tickets/{i}/" for i in range(1, n + 1)], n=n),
        )
        # Its dashboard takes a minute or more at a million tickets: measured for at most
        # DASHBOARD_BUDGET seconds (at least 3 requests), and the count is reported.
        keep("dashboard", _bounded(client, "/dashboard/", n=n, budget=DASHBOARD_BUDGET))

        def create(c: Client, index: int, i: int) -> bool:
            status, _h, _b, _s = c.post_json(
                "/api/tickets/",
                {
                    "queue": 1,
                    "title": f"基准测试 {index}-{i}",
                    "description": "申请人反映办理进度，请核实。",
                    "submitter_email": "bench@example.org",
                    "priority": 3,
                },
            )
            return status == 201

        keep(
            "create",
            throughput(lambda _k: staff(), "create", create, clients=4, seconds=args.seconds),
        )
    finally:
        server.terminate()
        server.wait(30)
    return {
        "version": (SITE / "requirements.txt").read_text().split("django-helpdesk==")[1].split()[0],
        "tickets": scale,
        "setup_seconds": generation,
        "figures": figures,
    }
