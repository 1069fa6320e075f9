"""The databases the tools work in (bench/run.py, bench/soak.py, scripts/fuzz.py): never the one
DATABASE_URL names, but a side database beside it (`<name>_bench`, `<name>_fuzz`), dropped and
made anew for each fresh run; on SQLite, a file in the tool's own var dir."""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def side_database_url(url: str | None, suffix: str) -> str | None:
    """The PostgreSQL database `<name><suffix>` beside the one `url` names, or None for
    SQLite (no URL, or not PostgreSQL)."""
    if not url or not url.startswith("postgres"):
        return None
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "bangban"
    if not name.endswith(suffix):
        name += suffix
    return urlunsplit(parts._replace(path="/" + name))


def _admin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def drop_postgres(url: str) -> None:
    import psycopg

    admin, name = _admin(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def recreate_postgres(url: str) -> None:
    import psycopg

    drop_postgres(url)
    admin, name = _admin(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def start_fresh(url: str | None, var_dir: Path) -> None:
    """An empty database for a new run: the PostgreSQL side database made anew, or the SQLite
    file (with its journal) removed from `var_dir`."""
    if url:
        recreate_postgres(url)
        return
    for suffix in ("", "-wal", "-shm"):
        (var_dir / f"bangban.sqlite3{suffix}").unlink(missing_ok=True)


def bench_environment(var_dir: Path, bench_dir: Path) -> tuple[str | None, dict]:
    """Point this process, and the servers it starts, at the bench's own database and var dir
    and at the bench settings; returns (the PostgreSQL side database's URL or None for SQLite,
    the environment for the servers). DATABASE_URL is always set explicitly: one in .env must
    never lead a tool that registers cases into real data."""
    var_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["BANGBAN_VAR_DIR"] = str(var_dir)
    env["DJANGO_SETTINGS_MODULE"] = "settings"
    env["PYTHONPATH"] = str(bench_dir)
    url = side_database_url(os.environ.get("DATABASE_URL"), "_bench")
    env["DATABASE_URL"] = url or f"sqlite:///{var_dir / 'bangban.sqlite3'}"
    os.environ.clear()
    os.environ.update(env)
    return url, env
