"""The sealed case archive (一事一档) as a zip, and its verification.

One zip per case:

    documents/<file>   every generated form, every version (superseded ones too: the archive
                       keeps the history, not just the last word)
    scans/<file>       every signed scan
    events.json        the case's events from the hash-chained log, each with its hash, so a
                       changed event is caught away from the database
    case.json          the case's facts and its timeline
    manifest.json      every other file with its size and SHA-256, and a seal: an HMAC over the
                       manifest keyed from SECRET_KEY

The manifest's hashes catch a changed file; the events' hashes catch a changed event; the
SHA-256 each `document.generate` event recorded ties each form to the moment it was made; the
seal catches a manifest rewritten to fit a changed file. Only an installation with the same
SECRET_KEY can check the seal (`check_seal=False` checks everything else).

A bulk export is one zip of case zips (`<CASE_NO>.zip`, stored as they are) with an index.json
listing each with its size and SHA-256, sealed the same way.

Nothing here reads a whole file into memory: members are copied and hashed in chunks. The
functions take the case and write or read a file object; who may do it is the services'
business."""

import hashlib
import json
import re
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from bangban.cases.models import Case
from bangban.core.errors import Conflict
from bangban.core.events import event_as_dict, event_digest_of
from bangban.core.models import Event
from bangban.documents.models import Document, SignedScan

FORMAT = "bangban-case-archive"
BUNDLE_FORMAT = "bangban-case-archive-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
INDEX = "index.json"
EVENTS = "events.json"
CASE = "case.json"
DOCUMENTS = "documents/"
SCANS = "scans/"
# A fixed salt: the seal's key is SECRET_KEY's, for this purpose only.
SEAL_SALT = "bangban.documents.archive.seal"
SEAL_ALGORITHM = "HMAC-SHA256"
CHUNK = 64 * 1024
# JSON members are parsed whole; anything bigger than this is not one of ours.
JSON_LIMIT = 64 * 1024 * 1024
# Inner zips of a bundle are spooled to disk past this size while they are checked.
SPOOL_LIMIT = 8 * 1024 * 1024

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(name: str) -> str:
    """A file name that stays one member of the zip on every system's unzip."""
    name = _UNSAFE.sub("_", name).strip()
    return "_" + name if name.startswith(".") or not name else name


def canonical(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def seal_of(data: dict[str, Any]) -> str:
    """The HMAC of a manifest (or a bundle index) without its seal, keyed from SECRET_KEY."""
    unsealed = {key: value for key, value in data.items() if key != "seal"}
    return salted_hmac(SEAL_SALT, canonical(unsealed), algorithm="sha256").hexdigest()


def _utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


class _Member:
    """One zip member being written: hashes and counts what goes through it."""

    def __init__(
        self,
        archive: zipfile.ZipFile,
        name: str,
        when: datetime,
        *,
        size: int | None = None,
        store: bool = False,
    ):
        info = zipfile.ZipInfo(name, date_time=timezone.localtime(when).timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED if store else zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        if size is not None:
            info.file_size = size  # lets zipfile pick ZIP64 for a large member up front
        self.name = name
        self._target = archive.open(info, "w")
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._digest.update(data)
        self.size += len(data)
        self._target.write(data)

    def copy(self, source: IO[bytes]) -> None:
        while chunk := source.read(CHUNK):
            self.write(chunk)

    def close(self) -> dict[str, Any]:
        self._target.close()
        return {"path": self.name, "size": self.size, "sha256": self._digest.hexdigest()}


def _copy_stored(archive, name: str, field_file, when: datetime, expected: str) -> dict[str, Any]:
    """Copy a stored file into the archive. A file whose bytes no longer match the SHA-256
    recorded when it was stored is refused: a sealed archive must not vouch for it."""
    try:
        source = field_file.open("rb")
    except OSError as exc:
        raise Conflict(
            _("The stored file %(file)s is missing; the archive was not made.") % {"file": name}
        ) from exc
    with source:
        member = _Member(archive, name, when, size=field_file.size)
        member.copy(source)
        entry = member.close()
    if entry["sha256"] != expected:
        raise Conflict(
            _(
                "The stored file %(file)s no longer matches the SHA-256 recorded when it was"
                " stored; the archive was not made. Tell the system administrator."
            )
            % {"file": name}
        )
    return entry


def _events(case: Case, documents: list[Document], scans: list[SignedScan]) -> Iterator[Event]:
    """The case's events: those about the case itself, about its documents and scans, and the
    events its documents, scans and timeline entries point to, in chain order."""
    linked = {d.event_id for d in documents} | {s.event_id for s in scans}
    linked |= set(case.log.exclude(event=None).values_list("event_id", flat=True))
    query = Q(object_type="cases.case", object_id=str(case.pk)) | Q(pk__in=linked)
    if documents:
        query |= Q(object_type="documents.document", object_id__in=[str(d.pk) for d in documents])
    if scans:
        query |= Q(object_type="documents.signedscan", object_id__in=[str(s.pk) for s in scans])
    return Event.objects.filter(query).order_by("seq").iterator(chunk_size=500)


def _case_facts(case: Case) -> dict[str, Any]:
    items = case.items.select_related("item", "item_version").order_by("pk")
    timeline = case.log.select_related("actor", "event").order_by("occurred_at", "pk")
    return {
        "number": case.number,
        "state": case.state,
        "state_label": str(case.get_state_display()),
        "unit": {"code": case.unit.code, "name": case.unit.name, "path": case.unit.path},
        "kind": case.kind,
        "proxy_scope": case.proxy_scope,
        "channel": case.channel,
        "category": case.category,
        "items": [
            {"name": line.item.name, "guide_version": line.item_version.number} for line in items
        ],
        "agent": case.agent.name if case.agent_id else None,
        "registered_at": _utc(case.registered_at),
        "accepted_on": _day(case.accepted_on),
        "due_date": _day(case.due_date),
        "completed_on": _day(case.completed_on),
        "closed_at": _utc(case.closed_at),
        "archived_at": _utc(case.archived_at),
        "returned": case.returned,
        "timeline": [
            {
                "action": log.action,
                "occurred_at": _utc(log.occurred_at),
                "recorded_at": _utc(log.recorded_at),
                "actor": log.actor.get_username(),
                "actor_name": str(log.actor),
                "summary": log.summary,
                "back_entry_reason": log.back_entry_reason,
                "event": log.event.seq if log.event_id else None,
            }
            for log in timeline
        ],
    }


def write_case_archive(
    handle: IO[bytes], case: Case, *, exported_by: str, exported_at: datetime
) -> dict[str, Any]:
    """Write the sealed zip of one case to `handle` (a binary file); returns the manifest.
    Conflict if a stored file no longer matches its recorded SHA-256."""
    case = Case.objects.select_related("unit", "agent").get(pk=case.pk)
    documents = list(
        Document.objects.filter(case=case)
        .select_related("case", "event")
        .order_by("kind", "subject", "format", "version", "pk")
    )
    scans = list(
        SignedScan.objects.filter(document__case=case)
        .select_related("document", "document__case", "event")
        .order_by("document__kind", "document__subject", "document__version", "pk")
    )
    files: list[dict[str, Any]] = []
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            entry = _copy_stored(
                archive,
                DOCUMENTS + safe_name(document.filename),
                document.file,
                document.created_at,
                document.sha256,
            )
            entry |= {
                "kind": document.kind,
                "subject": document.subject,
                "format": document.format,
                "version": document.version,
                "superseded": document.superseded,
                "created_at": _utc(document.created_at),
                "event": document.event.seq,
            }
            files.append(entry)
        for scan in scans:
            entry = _copy_stored(
                archive, SCANS + safe_name(scan.filename), scan.file, scan.uploaded_at, scan.sha256
            )
            entry |= {
                "document": DOCUMENTS + safe_name(scan.document.filename),
                "original_name": scan.original_name,
                "content_type": scan.content_type,
                "uploaded_at": _utc(scan.uploaded_at),
                "event": scan.event.seq,
            }
            files.append(entry)
        if len({entry["path"] for entry in files}) != len(files):
            raise Conflict(_("Two files of the case would have the same name in the archive."))

        member = _Member(archive, EVENTS, exported_at)
        member.write(b"[")
        count = 0
        for count, event in enumerate(_events(case, documents, scans), 1):
            member.write((b",\n" if count > 1 else b"\n") + canonical(event_as_dict(event)))
        member.write(b"\n]\n")
        files.append(member.close())

        member = _Member(archive, CASE, exported_at)
        member.write(json.dumps(_case_facts(case), ensure_ascii=False, indent=1).encode())
        files.append(member.close())

        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "case": case.number,
            "exported_at": _utc(exported_at),
            "exported_by": exported_by,
            "events": count,
            "files": files,
            "seal_algorithm": SEAL_ALGORITHM,
        }
        manifest["seal"] = seal_of(manifest)
        member = _Member(archive, MANIFEST, exported_at)
        member.write(json.dumps(manifest, ensure_ascii=False, indent=1).encode())
        member.close()
    return manifest


def write_bundle(
    handle: IO[bytes],
    cases: Iterable[Case],
    *,
    exported_by: str,
    exported_at: datetime,
    archived_from: date,
    archived_to: date,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Write one zip holding a sealed zip per case and a sealed index.json; `progress(done)`
    after each case. Each case zip is made in a temporary file first, then copied in."""
    entries: list[dict[str, Any]] = []
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as bundle:
        for done, case in enumerate(cases, 1):
            with tempfile.TemporaryFile() as inner:
                write_case_archive(inner, case, exported_by=exported_by, exported_at=exported_at)
                size = inner.tell()
                inner.seek(0)
                member = _Member(
                    bundle, safe_name(case.number) + ".zip", exported_at, size=size, store=True
                )
                member.copy(inner)
                entries.append({"number": case.number, **member.close()})
            if progress is not None:
                progress(done)
        index = {
            "format": BUNDLE_FORMAT,
            "version": FORMAT_VERSION,
            "archived_from": archived_from.isoformat(),
            "archived_to": archived_to.isoformat(),
            "exported_at": _utc(exported_at),
            "exported_by": exported_by,
            "cases": entries,
            "seal_algorithm": SEAL_ALGORITHM,
        }
        index["seal"] = seal_of(index)
        member = _Member(bundle, INDEX, exported_at)
        member.write(json.dumps(index, ensure_ascii=False, indent=1).encode())
        member.close()
    return index


# Verification.


@dataclass
class VerifyReport:
    """What a verification found. `ok` only when there is no problem; `seal_checked` says
    whether the seal was checked at all (it is not when asked not to, for a zip made by an
    installation with another key)."""

    problems: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)
    files: int = 0
    events: int = 0
    seal_checked: bool = False
    bundle: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def _by_seq(events: dict[int, dict], seq: Any) -> dict | None:
    return events.get(seq) if isinstance(seq, int) else None


class _Broken(Exception):
    """Stops checking one archive when what follows cannot be read."""


class _Checker:
    def __init__(self, report: VerifyReport, prefix: str = ""):
        self.report = report
        self.prefix = prefix

    def problem(self, message: str) -> None:
        self.report.problems.append(self.prefix + message)

    def json(self, archive: zipfile.ZipFile, name: str) -> Any:
        try:
            if archive.getinfo(name).file_size > JSON_LIMIT:
                raise ValueError(_("too large"))
            with archive.open(name) as member:
                return json.loads(member.read(JSON_LIMIT + 1))
        except (
            ValueError,
            zipfile.BadZipFile,
            OSError,
            EOFError,
            RuntimeError,
            NotImplementedError,
        ) as exc:
            self.problem(_("%(file)s cannot be read: %(error)s") % {"file": name, "error": exc})
            raise _Broken from exc

    def hash_member(self, archive: zipfile.ZipFile, name: str, sink=None) -> tuple[int, str] | None:
        digest, size = hashlib.sha256(), 0
        try:
            with archive.open(name) as member:
                while chunk := member.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    if sink is not None:
                        sink.write(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
            self.problem(_("%(file)s is damaged: %(error)s") % {"file": name, "error": exc})
            return None
        return size, digest.hexdigest()

    def duplicates(self, names: list[str]) -> None:
        for name, times in Counter(names).items():
            if times > 1:
                self.problem(_("%(file)s appears more than once in the zip.") % {"file": name})

    def header(self, data: Any, name: str, expected_format: str, key: str) -> list[dict]:
        if not isinstance(data, dict) or data.get("format") != expected_format:
            self.problem(_("%(file)s is not of this system's archive format.") % {"file": name})
            raise _Broken
        if data.get("version") != FORMAT_VERSION:
            self.problem(
                _("%(file)s has format version %(version)s, which this system does not read.")
                % {"file": name, "version": data.get("version")}
            )
            raise _Broken
        listed = data.get(key)
        if not isinstance(listed, list) or not all(
            isinstance(entry, dict)
            and isinstance(entry.get("path"), str)
            and isinstance(entry.get("size"), int)
            and isinstance(entry.get("sha256"), str)
            for entry in listed
        ):
            self.problem(_("%(file)s does not list its files properly.") % {"file": name})
            raise _Broken
        return listed

    def seal(self, data: dict, name: str, check: bool) -> None:
        if not check:
            return
        self.report.seal_checked = True
        seal = data.get("seal")
        if not isinstance(seal, str) or not constant_time_compare(seal, seal_of(data)):
            self.problem(
                _(
                    "The seal of %(file)s does not match: it was changed after the export, or"
                    " the archive comes from an installation with another key."
                )
                % {"file": name}
            )

    def names(self, archive: zipfile.ZipFile, listed: list[dict], own: str) -> set[str]:
        """Nothing twice, nothing unlisted. Returns the names present in the zip."""
        names = archive.namelist()
        self.duplicates(names)
        paths = [entry["path"] for entry in listed]
        for path, times in Counter(paths).items():
            if times > 1:
                self.problem(_("%(file)s is listed twice in the manifest.") % {"file": path})
        present = set(names)
        for name in sorted(present - set(paths) - {own}):
            self.problem(_("%(file)s is in the zip but not in the manifest.") % {"file": name})
        return present

    def member(
        self, archive: zipfile.ZipFile, entry: dict, present: set[str], sink=None
    ) -> str | None:
        """Check one listed file's presence, size and SHA-256; its actual SHA-256, or None
        when it is missing or unreadable."""
        path = entry["path"]
        if path not in present:
            self.problem(
                _("%(file)s is listed in the manifest but missing from the zip.") % {"file": path}
            )
            return None
        measured = self.hash_member(archive, path, sink)
        if measured is None:
            return None
        size, sha256 = measured
        if size != entry["size"]:
            self.problem(
                _("%(file)s has %(actual)d bytes; the manifest says %(listed)d.")
                % {"file": path, "actual": size, "listed": entry["size"]}
            )
        if sha256 != entry["sha256"]:
            self.problem(
                _("%(file)s was changed: its SHA-256 does not match the manifest.") % {"file": path}
            )
        return sha256

    def events(self, archive: zipfile.ZipFile) -> list[dict]:
        if EVENTS not in archive.namelist():
            return []
        events = self.json(archive, EVENTS)
        if not isinstance(events, list):
            self.problem(_("%(file)s is not a list of events.") % {"file": EVENTS})
            return []
        good, last = [], None
        for position, event in enumerate(events, 1):
            try:
                digest = event_digest_of(event)
            except (KeyError, TypeError, ValueError, AttributeError):
                self.problem(
                    _("Event number %(position)d in %(file)s is incomplete.")
                    % {"position": position, "file": EVENTS}
                )
                continue
            seq = event["seq"]
            if not constant_time_compare(digest, str(event.get("hash", ""))):
                self.problem(
                    _("Event %(seq)s in %(file)s was altered: its hash does not recompute.")
                    % {"seq": seq, "file": EVENTS}
                )
            if not isinstance(seq, int) or (last is not None and seq <= last):
                self.problem(
                    _("The events in %(file)s are out of order at event %(seq)s.")
                    % {"seq": seq, "file": EVENTS}
                )
            else:
                last = seq
                good.append(event)
        self.report.events += len(events)
        return good

    def documents(self, listed: list[dict], actual: dict[str, str], events: list[dict]) -> None:
        """Each form in the zip names the `document.generate` event that made it (the same
        form and version); the SHA-256 that event recorded for its format is the file's. And
        every such event of the case has its form in the zip."""
        by_seq = {event["seq"]: event for event in events}
        claimed: set[int] = set()
        for entry in listed:
            if not entry["path"].startswith(DOCUMENTS):
                continue
            event = _by_seq(by_seq, entry.get("event"))
            after = event.get("after") if event is not None else None
            if (
                event is None
                or event.get("action") != "document.generate"
                or not isinstance(after, dict)
                or (after.get("kind"), after.get("version"), after.get("subject") or "")
                != (entry.get("kind"), entry.get("version"), entry.get("subject") or "")
            ):
                self.problem(
                    _("%(file)s has no generation event in %(events)s.")
                    % {"file": entry["path"], "events": EVENTS}
                )
                continue
            claimed.add(event["seq"])
            same_format = (after.get("format") or "pdf") == (entry.get("format") or "pdf")
            if (
                same_format
                and entry["path"] in actual
                and actual[entry["path"]] != after.get("sha256")
            ):
                self.problem(
                    _(
                        "%(file)s does not match the SHA-256 recorded when it was generated"
                        " (event %(seq)s)."
                    )
                    % {"file": entry["path"], "seq": event["seq"]}
                )
        for event in events:
            after = event.get("after")
            if event.get("action") == "document.generate" and event["seq"] not in claimed:
                after = after if isinstance(after, dict) else {}
                self.problem(
                    _(
                        "Event %(seq)s generated form %(kind)s version %(version)s, which is not"
                        " in the archive."
                    )
                    % {
                        "seq": event["seq"],
                        "kind": after.get("kind"),
                        "version": after.get("version"),
                    }
                )

    def scans(self, listed: list[dict], actual: dict[str, str], events: list[dict]) -> None:
        """Each scan points to the event of its upload; if that event recorded a SHA-256, the
        scan's bytes must still have it."""
        by_seq = {event["seq"]: event for event in events}
        for entry in listed:
            if not entry["path"].startswith(SCANS):
                continue
            event = _by_seq(by_seq, entry.get("event"))
            if event is None:
                self.problem(
                    _("%(file)s refers to event %(seq)s, which is not in %(events)s.")
                    % {"file": entry["path"], "seq": entry.get("event"), "events": EVENTS}
                )
                continue
            after = event.get("after")
            recorded = after.get("sha256") if isinstance(after, dict) else None
            if recorded and entry["path"] in actual and actual[entry["path"]] != recorded:
                self.problem(
                    _("%(file)s does not match the SHA-256 recorded at its upload (event %(seq)s).")
                    % {"file": entry["path"], "seq": event["seq"]}
                )

    def case(self, archive: zipfile.ZipFile, number: Any) -> None:
        if CASE not in archive.namelist():
            return  # reported as missing when listed, or the manifest lacks it
        facts = self.json(archive, CASE)
        if not isinstance(facts, dict) or facts.get("number") != number:
            self.problem(_("%(file)s describes another case than the manifest.") % {"file": CASE})

    def case_archive(self, archive: zipfile.ZipFile, check_seal: bool) -> str | None:
        if MANIFEST not in archive.namelist():
            self.problem(_("%(file)s is missing.") % {"file": MANIFEST})
            raise _Broken
        manifest = self.json(archive, MANIFEST)
        listed = self.header(manifest, MANIFEST, FORMAT, "files")
        number = manifest.get("case")
        self.seal(manifest, MANIFEST, check_seal)
        present = self.names(archive, listed, MANIFEST)
        actual: dict[str, str] = {}
        for entry in listed:
            if (sha256 := self.member(archive, entry, present)) is not None:
                actual[entry["path"]] = sha256
        self.report.files += len(listed)
        for required in (CASE, EVENTS):
            if required not in {entry["path"] for entry in listed}:
                self.problem(_("%(file)s is not listed in the manifest.") % {"file": required})
        events = self.events(archive)
        self.documents(listed, actual, events)
        self.scans(listed, actual, events)
        self.case(archive, number)
        if isinstance(number, str):
            self.report.cases.append(number)
        return number if isinstance(number, str) else None

    def bundle(self, archive: zipfile.ZipFile, check_seal: bool) -> None:
        """Each case zip is copied out (to memory, or to disk past SPOOL_LIMIT) while it is
        hashed, checked, and dropped before the next."""
        self.report.bundle = True
        index = self.json(archive, INDEX)
        listed = self.header(index, INDEX, BUNDLE_FORMAT, "cases")
        self.seal(index, INDEX, check_seal)
        present = self.names(archive, listed, INDEX)
        for entry in listed:
            with tempfile.SpooledTemporaryFile(max_size=SPOOL_LIMIT) as spool:
                if self.member(archive, entry, present, spool) is None:
                    continue
                spool.seek(0)
                inner = _Checker(self.report, prefix=f"{self.prefix}{entry['path']}: ")
                try:
                    with zipfile.ZipFile(spool) as case_zip:
                        number = inner.case_archive(case_zip, check_seal)
                except zipfile.BadZipFile:
                    inner.problem(_("The file is not a readable zip archive."))
                    continue
                except _Broken:
                    continue
                if number != entry.get("number"):
                    inner.problem(_("The case in this zip is not the one the index names."))


def verify_archive(source: str | Path | IO[bytes], *, check_seal: bool = True) -> VerifyReport:
    """Check a case archive or a bundle of them: complete, untampered, and (with `check_seal`)
    sealed with this installation's key. Never raises on a bad file: the report says why."""
    report = VerifyReport()
    checker = _Checker(report)
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError):
        checker.problem(_("The file is not a readable zip archive."))
        return report
    with archive:
        try:
            names = archive.namelist()
            if INDEX in names and MANIFEST not in names:
                checker.bundle(archive, check_seal)
            else:
                checker.case_archive(archive, check_seal)
        except _Broken:
            pass
    return report
