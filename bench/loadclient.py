"""A small HTTP client for the benchmark: one keep-alive connection per client, the session
cookie or an API token, and timing of each request. Loopback only."""

import http.client
import json
import re
import statistics
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode


class Client:
    def __init__(self, port: int, host: str = "127.0.0.1"):
        assert host in ("127.0.0.1", "localhost"), "the benchmark talks to loopback only"
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=120)
        self.cookies: dict[str, str] = {}
        self.headers: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        all_headers = {"Host": f"{self.host}:{self.port}", **self.headers, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
            data = response.read()
        except (http.client.HTTPException, ConnectionError):
            # The server closed an idle keep-alive connection: reconnect once.
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
            data = response.read()
        seconds = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, dict(response.getheaders()), data, seconds

    def get(self, path: str):
        return self.request("GET", path)

    def post_form(self, path: str, data: dict, referer: str | None = None):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        headers["Referer"] = referer or f"http://{self.host}:{self.port}{path}"
        return self.request("POST", path, urlencode(data, doseq=True).encode(), headers)

    def post_json(self, path: str, data: dict):
        headers = {"Content-Type": "application/json"}
        if "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        return self.request("POST", path, json.dumps(data).encode(), headers)

    def login(self, path: str, username: str, password: str, fields=("username", "password")):
        status, _h, body, _s = self.get(path)
        assert status == 200, (path, status)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        status, _headers, body, _s = self.post_form(
            path,
            {"csrfmiddlewaretoken": token.decode(), fields[0]: username, fields[1]: password},
        )
        assert status in (302, 303), (f"login of {username} failed", status, body[:300])


@dataclass
class Figure:
    name: str
    unit: str = "ms"
    samples: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def summary(self) -> dict:
        out = {"name": self.name, "unit": self.unit, **self.extra}
        if self.samples:
            ordered = sorted(self.samples)
            p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
            out |= {
                "n": len(ordered),
                "median": round(statistics.median(ordered), 2),
                "p95": round(p95, 2),
            }
        if self.queries:
            out["queries"] = int(statistics.median(self.queries))
        return out


def measure(client: Client, name: str, paths, *, n: int, warmup: int = 5, expect=(200,)):
    """`n` timed GETs after `warmup` untimed ones; `paths` is one path or a list cycled
    through. A status outside `expect` stops the run: a figure of error pages is no figure."""
    paths = [paths] if isinstance(paths, str) else list(paths)
    figure = Figure(name)
    for i in range(warmup + n):
        path = paths[i % len(paths)]
        status, headers, body, seconds = client.get(path)
        if status not in expect:
            raise RuntimeError(f"{name}: {path} answered {status}: {body[:300]!r}")
        if i >= warmup:
            figure.samples.append(seconds * 1000)
            if "X-Queries" in headers:
                figure.queries.append(int(headers["X-Queries"]))
    return figure


def throughput(make_client, name: str, do_one, *, clients: int, seconds: float) -> Figure:
    """How many `do_one(client, i)` calls succeed per second with `clients` concurrent
    clients for `seconds` (each call returns True on success)."""
    ok = [0] * clients
    failed = [0] * clients
    latencies: list[list[float]] = [[] for _ in range(clients)]
    deadline = time.perf_counter() + seconds

    def run(index: int) -> None:
        client = make_client(index)
        i = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            if do_one(client, index, i):
                ok[index] += 1
            else:
                failed[index] += 1
            latencies[index].append((time.perf_counter() - started) * 1000)
            i += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    figure = Figure(name, unit="per s")
    figure.samples = [x for per in latencies for x in per]
    figure.extra = {
        "rate": round(sum(ok) / elapsed, 1),
        "ok": sum(ok),
        "errors": sum(failed),
        "clients": clients,
        "seconds": round(elapsed, 1),
    }
    return figure
