"""GET /healthz: the probe of load balancers and monitoring (bangban.core.health)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from bangban.core.events import event_record
from bangban.core.health import version

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.django_db
def test_healthz_answers_without_login_in_two_queries(client, django_assert_max_num_queries):
    event = event_record(actor=None, action="test.thing")
    with django_assert_max_num_queries(2):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "status": "ok",
        "database": "ok",
        "migrations": "ok",
        "event_chain_head": event.seq,
        "version": version(),
    }
    assert version() not in ("", "unknown")
    # Never cached by a proxy or the browser, and the site's CSP applies like everywhere.
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    # An anonymous probe starts no session.
    assert settings.SESSION_COOKIE_NAME not in response.cookies


@pytest.mark.django_db
def test_healthz_reports_pending_migrations(client):
    MigrationRecorder.Migration.objects.filter(app="cases").order_by("-name").first().delete()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert (body["status"], body["migrations"]) == ("ok", "pending")


@pytest.mark.django_db
def test_healthz_takes_no_writes(client):
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _unreachable_database_url(tmp_path) -> str:
    """A database of the run's engine that cannot be opened: a PostgreSQL port nobody listens
    on, or a SQLite file in a directory that does not exist."""
    if connection.vendor == "postgresql":
        return f"postgres://nobody@127.0.0.1:{_free_port()}/nowhere?connect_timeout=3"
    return f"sqlite:///{tmp_path / 'missing' / 'bangban.sqlite3'}"


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    """A real gunicorn whose database cannot be reached: what a balancer sees."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _unreachable_database_url(tmp_path),
        "BANGBAN_VAR_DIR": str(tmp_path / "var"),
    }
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "bangban.config.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, "gunicorn stopped"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.1)
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=20)
        assert answer.value.code == 503
        body = json.loads(answer.value.read())
        assert body["status"] == "error"
        assert body["database"] == "unreachable"
        assert "event_chain_head" not in body
    finally:
        server.terminate()
        server.wait(10)
