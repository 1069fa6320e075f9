"""`make bench SCALE=N`: generate N cases, serve them with gunicorn on 127.0.0.1, measure
through the real HTTP stack next to the raw-SQL floor, a bare DRF list (the framework floor)
and django-helpdesk, print one table and write bench/results/<date>-<scale>.json.

PostgreSQL when DATABASE_URL is set (the bench uses its own database, <name>_bench, never the
one the URL names); SQLite otherwise, in var/bench/. Every load is bounded in count and time
and stays on loopback."""

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from databases import bench_environment, start_fresh  # noqa: E402 — bench/databases.py


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server stopped while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered on port {port}")


def prepare(args, out) -> dict:
    """The database with the demo county and `scale` generated cases."""
    from django.core.management import call_command
    from generate import generate

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("demo", seed=1, verbosity=0, stdout=quiet)
    return generate(args.scale, seed=args.seed, out=out)


def start_server(port: int, workers: int, env: dict) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "wsgi:application",
        "--pythonpath",
        str(BENCH),
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        str(workers),
        "--keep-alive",
        "30",
        "--timeout",
        "300",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    _wait_for(port, process)
    return process


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30, help="throughput run length")
    parser.add_argument("--reuse", action="store_true", help="keep the generated database")
    parser.add_argument("--no-helpdesk", action="store_true")
    parser.add_argument(
        "--helpdesk-from",
        metavar="RESULTS_JSON",
        help="take django-helpdesk's figures from an earlier run's results (same scale), "
        "instead of measuring it again; the results file says so",
    )
    parser.add_argument(
        "--only",
        metavar="GROUPS",
        help="measure only these comma-separated groups (queue, case_page, api, supervision, "
        "portal, registration, assessment, pdf, due_dates, ledger); writes no result file",
    )
    parser.add_argument(
        "--var-dir",
        default=str(ROOT / "var" / "bench"),
        help="where the SQLite bench database and the server's files live",
    )
    parser.add_argument("--out", default=str(BENCH / "results"))
    parser.add_argument("--no-write", action="store_true", help="print, write no result file")
    args = parser.parse_args()

    def out(text: str) -> None:
        print(text, flush=True)

    if args.only:
        args.no_write, args.no_helpdesk = True, True
    var_dir = Path(args.var_dir).resolve()
    url, env = bench_environment(var_dir, BENCH)

    results: dict = {
        "date": datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat(),
        "scale": args.scale,
        "database": "postgresql" if url else "sqlite",
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        },
        "requests_per_figure": args.requests,
        "figures": {},
    }
    if not args.reuse:
        start_fresh(url, var_dir)

    import django

    django.setup()
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    assert name.endswith("_bench") or name.startswith(str(var_dir)), f"not a bench database: {name}"

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            results["machine"]["postgresql"] = cursor.fetchone()[0]
    if args.reuse:
        from bangban.cases.models import Case

        results["generation"] = {"reused": True, "cases": Case.objects.count()}
    else:
        results["generation"] = prepare(args, out)
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    connection.close()

    import measurements

    port = _free_port()
    server = start_server(port, args.workers, env)
    try:
        figures = measurements.run_all(port=port, args=args, out=out)
    finally:
        server.terminate()
        server.wait(30)
    results["figures"].update(figures)
    if args.helpdesk_from:
        earlier = json.loads(Path(args.helpdesk_from).read_text())
        if earlier["scale"] != args.scale or "helpdesk" not in earlier:
            raise SystemExit(f"{args.helpdesk_from}: no django-helpdesk figures at this scale")
        results["helpdesk"] = earlier["helpdesk"] | {
            "reused_from": f"{earlier['date']} run at scale {earlier['scale']}"
        }
    elif not args.no_helpdesk:
        import helpdesk_bench

        results["helpdesk"] = helpdesk_bench.run(scale=args.scale, args=args, out=out)
    import report

    report.compare(results)
    report.print_table(results, out)
    if not args.no_write:
        target = Path(args.out) / f"{results['date']}-{args.scale}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
        out(f"results: {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
