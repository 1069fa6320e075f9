"""`make fuzz`: the fuzzed-API test (tests/security/test_api_fuzz.py) run long. schemathesis
sends EXAMPLES generated requests (valid and invalid) to every operation of the published
OpenAPI schema as each role, on the test county in a database of its own, and the results go
to bench/results/fuzz-<date>.json: per role and operation the calls made, the status codes
answered, the failures with the request that reproduces each, and the time taken.

PostgreSQL when DATABASE_URL is set (in its own database, <name>_fuzz, made anew; never the one
the URL names); SQLite otherwise, in var/fuzz/. Exits 1 when anything failed."""

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the county is built with the tests' factories

from bench.databases import drop_postgres, recreate_postgres, side_database_url  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=200, help="per operation and role")
    parser.add_argument("--seed", type=int, default=1, help="hypothesis seed (reproducible)")
    parser.add_argument("--roles", help="comma-separated roles; all by default")
    parser.add_argument("--var-dir", default=str(ROOT / "var" / "fuzz"))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--no-write", action="store_true", help="print, write no result file")
    args = parser.parse_args()

    var_dir = Path(args.var_dir).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    url = side_database_url(os.environ.get("DATABASE_URL"), "_fuzz")
    # Always explicit, so that a .env never leads the run into real data; as the tests run it:
    # plain HTTP on localhost, no debug pages.
    os.environ.update(
        {
            "BANGBAN_VAR_DIR": str(var_dir),
            "DATABASE_URL": url or f"sqlite:///{var_dir / 'fuzz.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "bangban.config.settings",
            "DEBUG": "false",
            "BANGBAN_HTTPS": "false",
            "ALLOWED_HOSTS": "localhost",
        }
    )
    if url:
        recreate_postgres(url)
    else:
        for suffix in ("", "-wal", "-shm"):
            (var_dir / f"fuzz.sqlite3{suffix}").unlink(missing_ok=True)

    import django

    django.setup()
    import hypothesis
    import schemathesis
    from django.core.management import call_command
    from django.db import connection, transaction
    from tests.security import fuzzing

    name = str(connection.settings_dict["NAME"])
    assert name.endswith("_fuzz") or name.startswith(str(var_dir)), f"not a fuzz database: {name}"
    call_command("migrate", verbosity=0)

    roles = args.roles.split(",") if args.roles else list(fuzzing.ROLES)
    unknown = set(roles) - set(fuzzing.ROLES)
    if unknown:
        parser.error(f"unknown roles: {', '.join(sorted(unknown))}")
    results: dict = {
        "date": datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat(),
        "schemathesis": schemathesis.__version__,
        "hypothesis": hypothesis.__version__,
        "database": "postgresql" if url else "sqlite",
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "examples_per_operation": args.examples,
        "seed": args.seed,
        "generation": ["positive", "negative"],
        "checks": fuzzing.CHECK_NAMES,
        "roles": roles,
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            results["machine"]["postgresql"] = cursor.fetchone()[0]

    app = fuzzing.make_app()
    schema = fuzzing.load_schema(app)
    results["operations"] = fuzzing.operation_count(schema)
    started = time.monotonic()
    reports = []

    def progress(report: fuzzing.OperationReport) -> None:
        mark = "FAIL" if report.failures else "ok"
        codes = " ".join(f"{code}×{n}" for code, n in sorted(report.statuses.items()))
        print(
            f"{report.role:13} {report.operation:55} {report.calls:5} calls "
            f"{report.seconds:6.1f}s  {mark}  {codes}",
            flush=True,
        )

    try:
        for role in roles:
            # Every role meets the same county: what one role's run changed is rolled back.
            with fuzzing.connection_kept(), transaction.atomic():
                world = fuzzing.build_world()
                reports += fuzzing.fuzz_role(
                    app,
                    schema,
                    world,
                    role,
                    examples=args.examples,
                    seed=args.seed,
                    progress=progress,
                )
                transaction.set_rollback(True)
    finally:
        connection.close()
        if url:
            drop_postgres(url)

    failures = [failure for report in reports for failure in report.failures]
    results["totals"] = {
        "role_operations": len(reports),
        "calls": sum(report.calls for report in reports),
        "failures": len(failures),
        "seconds": round(time.monotonic() - started, 1),
    }
    results["results"] = [report.as_dict() for report in reports]
    totals = results["totals"]
    print(
        f"\n{totals['role_operations']} role × operation pairs, {totals['calls']} calls, "
        f"{totals['failures']} failures, {totals['seconds']} s"
    )
    if failures:
        print(fuzzing.summary(reports))
    if not args.no_write:
        target = Path(args.out) / f"fuzz-{results['date']}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str) + "\n")
        print(f"results: {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
