"""Real processes for the concurrency and crash tests: gunicorn on 127.0.0.1 and the task
worker, started on the test database (committed data, so a `transaction=True` test), and
stopped or killed by their process id."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def database_url() -> str:
    """The test database as a URL for a subprocess (pytest-django's test_<name>, or the SQLite
    file the settings put under VAR_DIR)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def environment(**extra: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1", **extra}
    env.pop("BANGBAN_CRASH_AT", None)
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn serving bangban on a free port of 127.0.0.1; `workers` × `threads`."""

    def __init__(self, *, workers: int = 2, threads: int = 1, **env: str):
        self.port = free_port()
        command = [
            str(BIN / "gunicorn"),
            "bangban.config.wsgi:application",
            "-b",
            f"127.0.0.1:{self.port}",
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ]
        self.process = subprocess.Popen(command, env=environment(**env), cwd=ROOT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not answer")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def worker(**env: str) -> subprocess.CompletedProcess:
    """`bangban db_worker --no-reload --batch`: runs what is queued, then exits (or dies at
    the failpoint that `BANGBAN_CRASH_AT` arms)."""
    return subprocess.run(
        [str(BIN / "bangban"), "db_worker", "--no-reload", "--batch", "--no-startup-delay"],
        env=environment(**env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
