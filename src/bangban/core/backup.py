"""Backups of a whole installation, and their restore (`bangban backup DIR`, `bangban restore DIR`).

A backup directory holds:

    database.dump      PostgreSQL: `pg_dump --format=custom`, taken in one snapshot
    database.sqlite3   SQLite: a copy made with SQLite's online backup API
    media/…            every uploaded or generated file under MEDIA_ROOT (forms, scans, photos,
                       archive zips, reports)
    manifest.json      written last: the format, when (UTC), the database engine, the latest
                       migration of each app, every file above with its size and SHA-256, the
                       row counts of the key tables, the head of the event chain, and a
                       fingerprint of each key

The keys (SECRET_KEY, FIELD_ENCRYPTION_KEY) are never in a backup: a stolen backup must not
reveal the encrypted ID and phone numbers. Their fingerprints let a restore refuse at once,
before anything is changed, when this installation's key could not read the data back.

A restore checks every file against the manifest first and changes nothing when one is
missing, changed or unlisted; it refuses a database that already holds cases, events or users
unless forced; then it restores the database and the files, walks the event chain and
compares the counts with the manifest.

Counts and the chain head are read from the copy itself (SQLite) or inside the snapshot that
pg_dump dumps (PostgreSQL), so the manifest describes exactly what was saved even while the
server keeps working. The database is saved before the files: a row saved has its file, since
files are written before their row commits.
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from bangban.core.crypto import decrypt
from bangban.core.errors import Conflict, ValidationFailed
from bangban.core.events import GENESIS_HASH, event_record, events_verify

FORMAT = "bangban-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
MEDIA = "media"
CHUNK = 1024 * 1024
# The tables whose rows the manifest counts, by model; the first three decide whether a
# database "already holds data" (a database only migrated holds none of them).
KEY_MODELS = {
    "cases": "cases.Case",
    "events": "core.Event",
    "users": settings.AUTH_USER_MODEL,
    "units": "org.Unit",
    "documents": "documents.Document",
    "scans": "documents.SignedScan",
}
DATA_KEYS = ("cases", "events", "users")
# A progress line at most this often while files are copied or checked.
PROGRESS_STEP = 10

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


def key_fingerprint(name: str, key: str) -> str:
    """A short digest of a key, to tell whether two installations share it. Not the key, and
    of no use to find it (the keys are long and random)."""
    return hashlib.sha256(f"bangban-backup:{name}:{key}".encode()).hexdigest()[:16]


def _fingerprints() -> dict[str, str]:
    return {
        "FIELD_ENCRYPTION_KEY": key_fingerprint(
            "FIELD_ENCRYPTION_KEY", settings.FIELD_ENCRYPTION_KEY
        ),
        "SECRET_KEY": key_fingerprint("SECRET_KEY", settings.SECRET_KEY),
    }


def _table(label: str) -> str:
    return apps.get_model(label)._meta.db_table


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


def _facts(cursor, quote: Callable[[str], str]) -> dict[str, Any]:
    """Migration state, key counts and the chain head, read through a DB-API cursor (the copy,
    or the snapshot being dumped)."""
    cursor.execute("SELECT app, name FROM django_migrations")
    migrations: dict[str, str] = {}
    for app, name in cursor.fetchall():
        # Migration names start with their number: the greatest is the latest applied.
        migrations[app] = max(name, migrations.get(app, ""))
    counts = {}
    for key, label in KEY_MODELS.items():
        cursor.execute(f"SELECT COUNT(*) FROM {quote(_table(label))}")  # noqa: S608 (model table)
        counts[key] = cursor.fetchone()[0]
    head_table = quote(_table("core.EventChainHead"))
    cursor.execute(f"SELECT last_seq, last_hash FROM {head_table} WHERE id = 1")  # noqa: S608
    row = cursor.fetchone()
    last_seq, last_hash = row if row else (0, GENESIS_HASH)
    return {
        "migrations": dict(sorted(migrations.items())),
        "counts": counts,
        "event_chain": {"last_seq": last_seq, "last_hash": last_hash},
    }


# PostgreSQL.


def _pg_env(database: dict[str, Any]) -> dict[str, str]:
    """The connection of settings.DATABASES as libpq's environment (no password on a command
    line, where `ps` would show it)."""
    env = dict(os.environ)
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if database.get(key):
            env[variable] = str(database[key])
    options = database.get("OPTIONS") or {}
    for variable, key in (("PGSSLMODE", "sslmode"), ("PGSSLROOTCERT", "sslrootcert")):
        if options.get(key):
            env[variable] = str(options[key])
    return env


def _pg_tool(name: str, server_major: int) -> str:
    """The client tool of the server's major version when Debian has it installed side by side
    (/usr/lib/postgresql/<major>/bin), else the one on PATH. pg_dump refuses a server newer
    than itself; say so in words instead of its error."""
    candidate = Path(f"/usr/lib/postgresql/{server_major}/bin/{name}")
    tool = str(candidate) if candidate.is_file() else shutil.which(name)
    if tool is None:
        raise Conflict(
            _("%(tool)s is not installed: install the PostgreSQL client tools, version %(major)s.")
            % {"tool": name, "major": server_major}
        )
    output = subprocess.run(  # noqa: S603 (a fixed tool, no shell)
        [tool, "--version"], capture_output=True, text=True, check=False
    ).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", output)
    major = int(found.group(1)) if found else 0
    if major < server_major:
        raise Conflict(
            _(
                "%(tool)s is version %(client)s but the database server is PostgreSQL"
                " %(server)s: install the client tools of version %(server)s or later."
            )
            % {"tool": name, "client": major or "?", "server": server_major}
        )
    return tool


def _run(command: list[str], env: dict[str, str], failure: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise Conflict(f"{failure} {' '.join(detail)}")


def _pg_backup(target: Path) -> dict[str, Any]:
    """pg_dump inside a snapshot exported by a read-only, repeatable-read transaction, in which
    the manifest's facts are read too: both describe the same moment."""
    database = connection.settings_dict
    connection.ensure_connection()
    server_major = connection.pg_version // 10000
    tool = _pg_tool("pg_dump", server_major)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        facts = _facts(cursor, connection.ops.quote_name)
        _run(
            [tool, "--format=custom", f"--snapshot={snapshot}", f"--file={target}"],
            _pg_env(database),
            _("pg_dump failed:"),
        )
    facts["server_version"] = connection.pg_version
    return facts


def _pg_restore(source: Path) -> None:
    """Into the configured database, in one transaction: a failure leaves it as it was.
    --clean drops what the dump is about to create, for a forced restore over data."""
    database = connection.settings_dict
    connection.ensure_connection()
    tool = _pg_tool("pg_restore", connection.pg_version // 10000)
    connection.close()  # our own session must not hold a lock pg_restore waits for
    _run(
        [
            tool,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={database['NAME']}",
            str(source),
        ],
        _pg_env(database),
        _("pg_restore failed; the database was left as it was:"),
    )


# SQLite.


def _sqlite_backup(target: Path, progress: Progress) -> dict[str, Any]:
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    shown = [-PROGRESS_STEP]

    def pages(status: int, remaining: int, total: int) -> None:
        percent = (total - remaining) * 100 // total if total else 100
        if percent - shown[0] >= PROGRESS_STEP:
            shown[0] = percent
            progress(_("Database: %(percent)d%%") % {"percent": percent})

    try:
        # The online backup API copies a consistent image while others keep writing.
        connection.connection.backup(copy, pages=2048, progress=pages)
        cursor = copy.cursor()
        facts = _facts(cursor, lambda name: f'"{name}"')
        cursor.close()
    finally:
        copy.close()
    return facts


def _sqlite_restore(source: Path) -> None:
    path = connection.settings_dict["NAME"]
    connection.close()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    target = sqlite3.connect(path, timeout=20)
    try:
        # Page by page into the open database file, under its write lock: all or nothing.
        backup.backup(target)
    finally:
        target.close()
        backup.close()


# Files.


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file() and not path.is_symlink())


def _copy_files(
    pairs: list[tuple[Path, Path]], progress: Progress, label: str
) -> list[dict[str, Any]]:
    """Copy and hash in one pass; a line each PROGRESS_STEP percent of the bytes."""
    total = sum(source.stat().st_size for source, _target in pairs) or 1
    done, shown, entries = 0, 0, []
    for source, target in pairs:
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        partial = target.with_name(f".{target.name}.partial")
        with source.open("rb") as reader, partial.open("wb") as writer:
            while chunk := reader.read(CHUNK):
                digest.update(chunk)
                writer.write(chunk)
                size += len(chunk)
        os.replace(partial, target)
        shutil.copystat(source, target)
        entries.append({"size": size, "sha256": digest.hexdigest()})
        done += size
        percent = done * 100 // total
        if percent - shown >= PROGRESS_STEP:
            shown = percent
            progress(
                _("%(what)s: %(done)s of %(total)s MB (%(percent)d%%)")
                % {"what": label, "done": _mb(done), "total": _mb(total), "percent": percent}
            )
    return entries


# Backup.


def backup_create(directory: Path | str, *, progress: Progress = _quiet) -> dict[str, Any]:
    """Save the database and MEDIA_ROOT into `directory` (new or empty) with a manifest;
    returns the manifest. Records a `system.backup` event (after the dump: the event says the
    backup was made, so it cannot be in it)."""
    directory = Path(directory).resolve()
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise Conflict(
            _("%(dir)s is not an empty directory: a backup goes into a new one.")
            % {"dir": directory}
        )
    if connection.in_atomic_block:
        raise Conflict(_("A backup cannot run inside a database transaction."))
    media_root = Path(settings.MEDIA_ROOT).resolve()
    if directory == media_root or media_root in directory.parents:
        raise ValidationFailed(_("The backup directory must not be inside MEDIA_ROOT."))
    directory.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    created_at = datetime.now(UTC).replace(microsecond=0)
    progress(_("Saving the database…"))
    if connection.vendor == "postgresql":
        database_file = directory / PG_DUMP
        facts = _pg_backup(database_file)
    elif connection.vendor == "sqlite":
        database_file = directory / SQLITE_COPY
        facts = _sqlite_backup(database_file, progress)
    else:
        raise ValidationFailed(
            _("Backups of a %(engine)s database are not supported.") % {"engine": connection.vendor}
        )
    files = [
        {
            "path": database_file.name,
            "size": database_file.stat().st_size,
            "sha256": _sha256(database_file),
        }
    ]
    progress(
        _("Database saved: %(size)s MB, %(cases)d cases, %(events)d events.")
        % {
            "size": _mb(files[0]["size"]),
            "cases": facts["counts"]["cases"],
            "events": facts["counts"]["events"],
        }
    )
    sources = _media_files(media_root)
    progress(_("Copying %(count)d files of MEDIA_ROOT…") % {"count": len(sources)})
    names = [PurePosixPath(MEDIA, *path.relative_to(media_root).parts) for path in sources]
    copied = _copy_files(
        [
            (path, directory.joinpath(*name.parts))
            for path, name in zip(sources, names, strict=True)
        ],
        progress,
        _("Files"),
    )
    files += [{"path": str(name)} | entry for name, entry in zip(names, copied, strict=True)]
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created_at": created_at.isoformat(),
        "engine": connection.vendor,
        "database": database_file.name,
        **facts,
        "keys": _fingerprints(),
        "files": files,
    }
    content = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
    partial = directory / f".{MANIFEST}.partial"
    partial.write_bytes(content)
    os.replace(partial, directory / MANIFEST)  # present only once everything else is
    total = sum(entry["size"] for entry in files)
    event_record(
        actor=None,
        action="system.backup",
        object_type="core.backup",
        object_id=created_at.isoformat(),
        after={
            "directory": str(directory),
            "manifest_sha256": hashlib.sha256(content).hexdigest(),
            "files": len(files),
            "bytes": total,
            "counts": facts["counts"],
        },
    )
    progress(
        _("Backup complete in %(dir)s: %(files)d files, %(size)s MB, %(seconds).1f s.")
        % {
            "dir": directory,
            "files": len(files),
            "size": _mb(total),
            "seconds": time.monotonic() - started,
        }
    )
    return manifest


# Restore.


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)
    chain_checked: int = 0
    chain_broken_at: int | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise ValidationFailed(
            _(
                "%(dir)s holds no manifest.json: it is not a backup of this system, or the"
                " backup did not finish."
            )
            % {"dir": directory}
        )
    try:
        manifest = json.loads(path.read_bytes())
    except ValueError as exc:
        raise ValidationFailed(
            _("manifest.json cannot be read: %(error)s") % {"error": exc}
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValidationFailed(_("manifest.json is not the manifest of a backup of this system."))
    if manifest.get("version") != FORMAT_VERSION:
        raise ValidationFailed(
            _("This backup has format version %(version)s, which this system does not read.")
            % {"version": manifest.get("version")}
        )
    files = manifest.get("files")
    if not isinstance(files, list) or not all(
        isinstance(entry, dict)
        and isinstance(entry.get("path"), str)
        and isinstance(entry.get("size"), int)
        and isinstance(entry.get("sha256"), str)
        for entry in files
    ):
        raise ValidationFailed(_("manifest.json does not list its files properly."))
    return manifest


def _safe_relative(path: str) -> PurePosixPath | None:
    """A manifest path that stays inside the backup (and inside MEDIA_ROOT once restored)."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or not pure.parts or ".." in pure.parts or "\\" in path:
        return None
    return pure


def backup_check(directory: Path | str, *, progress: Progress = _quiet) -> dict[str, Any]:
    """Every listed file present with its size and SHA-256, nothing unlisted: the manifest,
    or ValidationFailed naming what is wrong. Reads only."""
    directory = Path(directory).resolve()
    manifest = _read_manifest(directory)
    problems: list[str] = []
    listed: set[str] = set()
    total = sum(entry["size"] for entry in manifest["files"]) or 1
    done, shown = 0, 0
    for entry in manifest["files"]:
        relative = _safe_relative(entry["path"])
        if relative is None or (
            relative.parts[0] != MEDIA and str(relative) != manifest.get("database")
        ):
            problems.append(
                _("%(file)s is not a path a backup may hold.") % {"file": entry["path"]}
            )
            continue
        listed.add(str(relative))
        path = directory.joinpath(*relative.parts)
        if not path.is_file():
            problems.append(_("%(file)s is missing.") % {"file": entry["path"]})
            continue
        if path.stat().st_size != entry["size"]:
            problems.append(
                _("%(file)s has %(actual)d bytes; the manifest says %(listed)d.")
                % {"file": entry["path"], "actual": path.stat().st_size, "listed": entry["size"]}
            )
        elif _sha256(path) != entry["sha256"]:
            problems.append(
                _("%(file)s was changed: its SHA-256 does not match the manifest.")
                % {"file": entry["path"]}
            )
        done += entry["size"]
        percent = done * 100 // total
        if percent - shown >= PROGRESS_STEP:
            shown = percent
            progress(_("Checked: %(percent)d%%") % {"percent": percent})
    if manifest.get("database") not in listed or manifest["database"] not in (PG_DUMP, SQLITE_COPY):
        problems.append(_("The manifest lists no database file."))
    for path in sorted(directory.rglob("*")):
        name = path.relative_to(directory).as_posix()
        if path.is_file() and name != MANIFEST and name not in listed:
            problems.append(
                _("%(file)s is in the backup but not in the manifest.") % {"file": name}
            )
    if problems:
        shown_problems = problems[:5]
        if len(problems) > 5:
            shown_problems.append(_("and %(count)d more") % {"count": len(problems) - 5})
        raise ValidationFailed(
            _("The backup in %(dir)s failed its check, so nothing was restored: %(problems)s")
            % {"dir": directory, "problems": "; ".join(shown_problems)}
        )
    return manifest


def _current_counts() -> dict[str, int] | None:
    """Rows of the key tables in the configured database; None when it has no tables yet."""
    tables = set(connection.introspection.table_names())
    if _table("core.Event") not in tables:
        return None
    counts = {}
    with connection.cursor() as cursor:
        for key, label in KEY_MODELS.items():
            table = _table(label)
            if table not in tables:
                counts[key] = 0
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[key] = cursor.fetchone()[0]
    return counts


def _check_migrations(manifest: dict[str, Any]) -> None:
    """A backup made by a newer version of the system holds tables this code does not know:
    refuse it rather than leave a database no migration can bring forward."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    migrations = manifest.get("migrations")
    if not isinstance(migrations, dict):
        raise ValidationFailed(_("manifest.json does not record the migration state."))
    for app, name in sorted(migrations.items()):
        if (app, name) not in known:
            raise Conflict(
                _(
                    "The backup was made by a newer version of the system (migration"
                    " %(app)s.%(name)s is unknown here): upgrade this installation first."
                )
                % {"app": app, "name": name}
            )


def _check_keys(manifest: dict[str, Any]) -> list[str]:
    keys = manifest.get("keys") or {}
    current = _fingerprints()
    if keys.get("FIELD_ENCRYPTION_KEY") != current["FIELD_ENCRYPTION_KEY"]:
        raise Conflict(
            _(
                "This installation's FIELD_ENCRYPTION_KEY is not the key the backup was made"
                " with: the ID and phone numbers in it could not be read. Set the key kept"
                " with the backup's records (docs/operations.md, Keys) and try again; nothing"
                " was restored."
            )
        )
    if keys.get("SECRET_KEY") != current["SECRET_KEY"]:
        return [
            _(
                "SECRET_KEY differs from the one the backup was made with: everybody must log"
                " in again, and the seals of case archives made before will not check here."
            )
        ]
    return []


def _readable_sample() -> str | None:
    """One encrypted value read back with the configured key, as a last check of the key."""
    table = connection.ops.quote_name(_table("org.Agent"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone FROM {table} WHERE phone <> '' ORDER BY id LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        return None
    try:
        decrypt(row[0])
    except ValueError:
        return _("An encrypted phone number of the restored data cannot be read with this key.")
    return None


def backup_restore(
    directory: Path | str, *, force: bool = False, progress: Progress = _quiet
) -> RestoreReport:
    """Restore a backup into the configured database and MEDIA_ROOT. Everything that can
    refuse does so before anything is changed: the files' hashes, the engine, the key, the
    migration state, a database that already holds data (unless `force`). Afterwards the
    event chain is walked and the counts compared with the manifest; the report says how it
    went, and a `system.restore` event records it."""
    directory = Path(directory).resolve()
    started = time.monotonic()
    progress(_("Checking the backup's files…"))
    manifest = backup_check(directory, progress=progress)
    if manifest.get("engine") != connection.vendor:
        raise ValidationFailed(
            _(
                "This backup is of a %(engine)s database; this installation uses %(current)s."
                " Restore it into a database of the same kind."
            )
            % {"engine": manifest.get("engine"), "current": connection.vendor}
        )
    if connection.in_atomic_block:
        raise Conflict(_("A restore cannot run inside a database transaction."))
    report = RestoreReport(manifest=manifest, warnings=_check_keys(manifest))
    _check_migrations(manifest)
    existing = _current_counts()
    if existing is not None and any(existing[key] for key in DATA_KEYS):
        if not force:
            raise Conflict(
                _(
                    "The database already holds data (%(cases)d cases, %(events)d events,"
                    " %(users)d users): a restore would replace it. Nothing was restored; add"
                    " --force to replace it."
                )
                % {key: existing[key] for key in DATA_KEYS}
            )
        report.warnings.append(_("The data that was in the database was replaced (--force)."))
    progress(_("Restoring the database…"))
    source = directory / manifest["database"]
    if connection.vendor == "postgresql":
        _pg_restore(source)
    else:
        _sqlite_restore(source)
    media_root = Path(settings.MEDIA_ROOT).resolve()
    entries = [entry for entry in manifest["files"] if entry["path"].startswith(MEDIA + "/")]
    progress(_("Restoring %(count)d files into MEDIA_ROOT…") % {"count": len(entries)})
    pairs = []
    for entry in entries:
        parts = PurePosixPath(entry["path"]).parts[1:]
        pairs.append((directory.joinpath(MEDIA, *parts), media_root.joinpath(*parts)))
    copied = _copy_files(pairs, progress, _("Files"))
    for entry, done in zip(entries, copied, strict=True):
        if done["sha256"] != entry["sha256"]:  # changed on disk since the check
            report.problems.append(
                _("%(file)s was changed: its SHA-256 does not match the manifest.")
                % {"file": entry["path"]}
            )
    restored = {str(target) for _source, target in pairs}
    others = [path for path in _media_files(media_root) if str(path) not in restored]
    if others:
        report.warnings.append(
            _("%(count)d files in MEDIA_ROOT are not from the backup; they were left in place.")
            % {"count": len(others)}
        )

    progress(_("Checking the restored data…"))
    chain = events_verify()
    report.chain_checked = chain.checked
    if not chain.ok:
        report.chain_broken_at = chain.broken_seq
        report.problems.append(
            _("The event chain is broken at event %(seq)s.") % {"seq": chain.broken_seq}
        )
    report.counts = _current_counts() or {}
    for key, expected in manifest.get("counts", {}).items():
        if report.counts.get(key) != expected:
            report.problems.append(
                _("%(table)s: %(actual)s rows restored, the manifest says %(expected)s.")
                % {"table": key, "actual": report.counts.get(key), "expected": expected}
            )
    head = manifest.get("event_chain") or {}
    if report.chain_checked != head.get("last_seq"):
        report.problems.append(
            _("The event chain ends at event %(actual)s; the manifest says %(expected)s.")
            % {"actual": report.chain_checked, "expected": head.get("last_seq")}
        )
    if (problem := _readable_sample()) is not None:
        report.problems.append(problem)
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        report.warnings.append(
            _("The backup was made by an older version: run `bangban migrate` before starting.")
        )
    manifest_sha256 = _sha256(directory / MANIFEST)
    event_record(
        actor=None,
        action="system.restore",
        object_type="core.backup",
        object_id=manifest.get("created_at", ""),
        after={
            "directory": str(directory),
            "manifest_sha256": manifest_sha256,
            "forced": bool(force and existing and any(existing[key] for key in DATA_KEYS)),
            "counts": report.counts,
            "ok": report.ok,
        },
    )
    progress(_("Restore finished in %(seconds).1f s.") % {"seconds": time.monotonic() - started})
    return report
