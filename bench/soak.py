"""`make soak`: a bounded load at half the measured peak for 15 minutes — does the server stay
error-free, does its latency drift, does its memory grow?

1. The bench database (`--reuse`: as it is; otherwise the demo county and `--scale` generated
   cases, as `bench/run.py` makes them) is served by gunicorn on 127.0.0.1 (bench/settings.py).
2. The peak: a closed loop of `--clients` clients running the request mix (queue page, case
   page, case list API, registration, dashboard) for `--peak-seconds`.
3. The soak: rate = half the peak (or `--rate`), a fixed number of requests = rate × minutes,
   open loop — request i is due at i / rate seconds whether or not earlier ones have answered,
   and its latency counts from when it was due, so a server falling behind shows as latency.
   Every `--interval` seconds (60): requests, errors, p50/p95 and the RSS of gunicorn's master
   and workers (/proc/<pid>/status).
4. The end: errors (exit 1 when any), the p95 drift (last interval's p95 / first interval's)
   and the memory growth; bench/results/soak-<date>.json unless `--no-write`.

A tool, not a test: nothing here runs in `make test`. Loopback only, every load bounded."""

import argparse
import json
import math
import os
import platform
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import run  # noqa: E402 — bench/run.py: generation and server start are shared
from databases import bench_environment, start_fresh  # noqa: E402 — bench/databases.py

# One round of the mix, in order; request i does MIX[i % len(MIX)]. Weighted towards what
# staff do all day (lists and case pages), with a registration and a dashboard per round.
MIX = ("queue", "case_page", "api_list", "queue", "case_page", "registration", "api_list",
       "case_page", "dashboard", "queue")  # fmt: skip


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))], 1)


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:  # the process ended meanwhile
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid …": the command name may hold spaces and parentheses.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def gunicorn_rss_mb(master: int) -> dict:
    workers = {pid: _rss_kb(pid) for pid in _children(master)}
    master_kb = _rss_kb(master)
    return {
        "total_mb": round((master_kb + sum(workers.values())) / 1024, 1),
        "master_mb": round(master_kb / 1024, 1),
        "workers_mb": sorted(round(kb / 1024, 1) for kb in workers.values()),
    }


class Session:
    """One load thread's logged-in clients: the manager's pages, the centre's dashboard, the
    manager's API token and the town agent's (who registers)."""

    def __init__(self, port: int, ctx: dict):
        import measurements

        self.ctx = ctx
        self.web = measurements._client(port, "town01-manager")
        self.centre = measurements._client(port, "centre")
        self.api = measurements._api_client(port, "town01-manager")
        self.agent = measurements._api_client(port, "town01-agent")

    def do(self, op: str, i: int) -> tuple[bool, str]:
        ctx = self.ctx
        if op == "queue":
            status, *_ = self.web.get("/cases/?queue=open")
        elif op == "case_page":
            status, *_ = self.web.get(f"/cases/{ctx['case_ids'][i % len(ctx['case_ids'])]}/")
        elif op == "api_list":
            status, *_ = self.api.get("/api/v1/cases/?state=in_progress&channel=window")
        elif op == "registration":
            status, *_ = self.agent.post_json("/api/v1/cases/", ctx["registration"])
            return status == 201, f"{op} {status}"
        elif op == "dashboard":
            status, *_ = self.centre.get(f"/supervision/dashboard/?year={ctx['year']}")
        else:
            raise ValueError(op)
        return status == 200, f"{op} {status}"


@dataclass
class Sample:
    due: float  # seconds after the start the request was due
    latency_ms: float  # from when it was due to its answer
    ok: bool
    op: str


@dataclass
class Soak:
    rate: float
    total: int
    started: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_index: int = 0

    @property
    def duration(self) -> float:
        return self.total / self.rate

    def windows(self, interval: float) -> int:
        return max(1, math.ceil(self.duration / interval - 1e-9))

    def take(self) -> int | None:
        with self.lock:
            if self.next_index >= self.total:
                return None
            self.next_index += 1
            return self.next_index - 1


def measure_peak(sessions: list, *, seconds: float, out) -> dict:
    """Closed loop: each session's client sends its next request when the last answered."""
    from loadclient import throughput

    out(f"peak: {len(sessions)} clients for {seconds:g} s…")
    figure = throughput(
        lambda k: sessions[k],
        "peak",
        lambda session, k, i: session.do(MIX[(i + 3 * k) % len(MIX)], i)[0],
        clients=len(sessions),
        seconds=seconds,
    )
    summary = figure.summary()
    out(
        f"  peak {summary['rate']} requests/s ({summary['ok']} ok, {summary['errors']} errors), "
        f"p50 {summary.get('median')} ms p95 {summary.get('p95')} ms"
    )
    return summary


def run_soak(sessions: list, soak: Soak, *, interval: float, master: int, out) -> list:
    """Open loop: request i is due at i / rate; each session's thread takes the next request
    due. Reports every `interval` seconds from the main thread; returns the RSS samples."""

    def sender(session: Session) -> None:
        while (i := soak.take()) is not None:
            due = i / soak.rate
            wait = soak.started + due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            try:
                ok, what = session.do(MIX[i % len(MIX)], i)
            except Exception as exc:  # a refused or broken connection is an error, not a crash
                ok, what = False, f"{MIX[i % len(MIX)]} {type(exc).__name__}: {exc}"
            latency = (time.perf_counter() - soak.started - due) * 1000
            with soak.lock:
                soak.samples.append(Sample(due, latency, ok, MIX[i % len(MIX)]))
                if not ok and len(soak.errors) < 20:
                    soak.errors.append(what)

    rss = [(0.0, gunicorn_rss_mb(master))]
    soak.started = time.perf_counter()
    threads = [threading.Thread(target=sender, args=(s,), daemon=True) for s in sessions]
    for thread in threads:
        thread.start()
    for k in range(soak.windows(interval)):
        # A window is reported a little after it closes, when its requests have answered.
        report_at = soak.started + min((k + 1) * interval, soak.duration) + 2
        while time.perf_counter() < report_at and any(t.is_alive() for t in threads):
            time.sleep(0.5)
        rss.append((time.perf_counter() - soak.started, gunicorn_rss_mb(master)))
        window = _window(soak, k, interval)
        out(
            f"  {min((k + 1) * interval, soak.duration) / 60:6.2f} min: "
            f"{window['requests']} requests, {window['errors']} errors, "
            f"p50 {window['p50_ms']} ms p95 {window['p95_ms']} ms, "
            f"gunicorn RSS {rss[-1][1]['total_mb']} MB"
        )
    for thread in threads:
        thread.join()
    if time.perf_counter() - soak.started - rss[-1][0] > 1:
        rss.append((time.perf_counter() - soak.started, gunicorn_rss_mb(master)))
    return rss


def _window(soak: Soak, k: int, interval: float) -> dict:
    with soak.lock:
        inside = [s for s in soak.samples if k * interval <= s.due < (k + 1) * interval]
    latencies = [s.latency_ms for s in inside]
    return {
        "from_s": round(k * interval),
        "requests": len(inside),
        "errors": sum(not s.ok for s in inside),
        "p50_ms": _percentile(latencies, 0.5),
        "p95_ms": _percentile(latencies, 0.95),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=20000, help="cases to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="use the bench database as it is")
    parser.add_argument("--minutes", type=float, default=15, help="length of the soak")
    parser.add_argument("--interval", type=float, default=60, help="seconds between reports")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=4, help="clients of the peak run")
    parser.add_argument("--threads", type=int, default=8, help="senders of the soak")
    parser.add_argument("--peak-seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, help="requests per second (default: half the peak)")
    parser.add_argument("--var-dir", default=str(ROOT / "var" / "bench"))
    parser.add_argument("--out", default=str(BENCH / "results"))
    parser.add_argument("--no-write", action="store_true", help="print, write no result file")
    args = parser.parse_args()

    def out(text: str) -> None:
        print(text, flush=True)

    var_dir = Path(args.var_dir).resolve()
    url, env = bench_environment(var_dir, BENCH)
    if not args.reuse:
        start_fresh(url, var_dir)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    name = str(connection.settings_dict["NAME"])
    assert name.endswith("_bench") or name.startswith(str(var_dir)), f"not a bench database: {name}"
    if args.reuse:
        from bangban.cases.models import Case

        generation = {"reused": True, "cases": Case.objects.count()}
    else:
        generation = run.prepare(args, out)
    call_command("collectstatic", interactive=False, verbosity=0)

    import measurements

    from bangban.cases import selectors
    from bangban.org.models import User

    manager = User.objects.get(username="town01-manager")
    case_ids = list(
        selectors.cases_visible(actor=manager).order_by("-pk").values_list("pk", flat=True)[:200]
    )
    connection.close()

    port = run._free_port()
    server = run.start_server(port, args.workers, env)
    try:
        ctx = {
            "case_ids": case_ids,
            "year": timezone.localdate().year,
            "registration": {
                **measurements.APPLICATION,
                "address": "城关街道人民路1号",
                "items": [measurements._registrable_item(port, "town01-agent")],
            },
        }
        out(f"logging in {max(args.clients, args.threads)} load clients…")
        sessions = [Session(port, ctx) for _ in range(max(args.clients, args.threads))]
        peak = measure_peak(sessions[: args.clients], seconds=args.peak_seconds, out=out)
        rate = args.rate or peak["rate"] / 2
        soak = Soak(rate=rate, total=max(1, round(rate * args.minutes * 60)))
        out(
            f"soak: {soak.total} requests at {rate:.1f}/s ({args.minutes:g} min), "
            f"{args.threads} senders, open loop"
        )
        rss = run_soak(
            sessions[: args.threads], soak, interval=args.interval, master=server.pid, out=out
        )
    finally:
        server.terminate()
        server.wait(30)

    windows = [_window(soak, k, args.interval) for k in range(soak.windows(args.interval))]
    elapsed = max(s.due + s.latency_ms / 1000 for s in soak.samples)
    errors = sum(not s.ok for s in soak.samples)
    # A window can be empty (a run shorter than the interval, or its last instant): the drift
    # compares the first and the last windows that answered anything.
    answered = [w["p95_ms"] for w in windows if w["p95_ms"] is not None]
    first, last = (answered[0], answered[-1]) if answered else (None, None)
    drift = round(last / first, 2) if first and last else None
    growth = round(rss[-1][1]["total_mb"] - rss[0][1]["total_mb"], 1)
    late = sum(s.latency_ms > 1000 for s in soak.samples)
    by_op = {}
    for op in dict.fromkeys(MIX):
        mine = [s for s in soak.samples if s.op == op]
        by_op[op] = {
            "requests": len(mine),
            "errors": sum(not s.ok for s in mine),
            "p50_ms": _percentile([s.latency_ms for s in mine], 0.5),
            "p95_ms": _percentile([s.latency_ms for s in mine], 0.95),
        }
    summary = {
        "requests": len(soak.samples),
        "errors": errors,
        "p50_ms": _percentile([s.latency_ms for s in soak.samples], 0.5),
        "p95_ms": _percentile([s.latency_ms for s in soak.samples], 0.95),
        "p95_drift": drift,
        "rss_start_mb": rss[0][1]["total_mb"],
        "rss_end_mb": rss[-1][1]["total_mb"],
        "rss_growth_mb": growth,
        "over_1s": late,
        "seconds": round(elapsed, 1),
    }
    out(
        f"done: {summary['requests']} requests in {summary['seconds']} s, {errors} errors; "
        f"p95 drift {drift} (last {last} ms / first {first} ms); gunicorn RSS "
        f"{summary['rss_start_mb']} → {summary['rss_end_mb']} MB ({growth:+} MB); "
        f"{late} answers over 1 s after they were due"
    )
    for op, figures in by_op.items():
        out(
            f"  {op}: {figures['requests']} requests, {figures['errors']} errors, "
            f"p50 {figures['p50_ms']} ms p95 {figures['p95_ms']} ms"
        )
    for error in soak.errors:
        out(f"  error: {error}")

    results = {
        "date": datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat(),
        "kind": "soak",
        "scale": generation.get("cases", args.scale) if args.reuse else args.scale,
        "database": "postgresql" if url else "sqlite",
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "gunicorn_workers": args.workers,
        "mix": list(MIX),
        "generation": generation,
        "peak": {
            k: peak.get(k) for k in ("rate", "ok", "errors", "clients", "seconds", "median", "p95")
        },
        "soak": {
            "rate": round(rate, 2),
            "minutes": args.minutes,
            "interval_s": args.interval,
            "senders": args.threads,
            **summary,
            "error_samples": soak.errors,
            "by_request": by_op,
            "windows": windows,
            "rss": [{"at_s": round(at, 1), **sample} for at, sample in rss],
        },
        "latency_note": "open loop: latency counts from when a request was due",
    }
    if not args.no_write:
        target = Path(args.out) / f"soak-{results['date']}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
        out(f"results: {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
