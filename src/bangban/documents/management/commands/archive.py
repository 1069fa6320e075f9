"""`bangban archive export CASE_NO [--out FILE.zip] --actor USERNAME`,
`bangban archive export --from YYYY-MM-DD --to YYYY-MM-DD --out FILE.zip --actor USERNAME` and
`bangban archive verify FILE.zip`: the sealed case archives (一事一档) from the shell, made as
the export page makes them (the same permission checks and access log), and checked."""

import shutil
from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from bangban.cases.selectors import case_by_number
from bangban.core.errors import ApplicationError
from bangban.documents import archive
from bangban.documents.models import ArchiveExport
from bangban.documents.services import archives as services

# A progress line each time a bulk export moved this many points.
PRINT_STEP = 10


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("%(value)s is not a date (YYYY-MM-DD).") % {"value": value}) from exc


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse wants plain text, so translated when it is shown
        return _("Export the sealed archive of cases to a zip, or verify such a zip.")

    def add_arguments(self, parser):
        parser.add_argument(
            "action",
            choices=["export", "verify"],
            help=_("export: write the zip of a case or a date range; verify: check a zip."),
        )
        parser.add_argument(
            "target",
            nargs="?",
            metavar="CASE_NO|FILE.zip",
            help=_("export: the case number (leave out with --from/--to); verify: the zip."),
        )
        parser.add_argument("--out", metavar="FILE.zip", help=_("The zip to write."))
        parser.add_argument("--actor", help=_("User name: the export covers what they see."))
        parser.add_argument(
            "--from", dest="archived_from", help=_("Archived on or after (YYYY-MM-DD).")
        )
        parser.add_argument(
            "--to", dest="archived_to", help=_("Archived on or before (YYYY-MM-DD).")
        )
        parser.add_argument(
            "--skip-seal",
            action="store_true",
            help=_(
                "verify: do not check the seal (for a zip made by an installation with another"
                " secret key); everything else is checked."
            ),
        )

    def handle(self, *args, action: str, target: str | None, **options):
        if action == "verify":
            self._verify(target, check_seal=not options["skip_seal"])
        else:
            self._export(target, **options)

    def _verify(self, target: str | None, *, check_seal: bool) -> None:
        if not target:
            raise CommandError(_("Name the zip to verify."))
        path = Path(target)
        if not path.is_file():
            raise CommandError(_("There is no file %(file)s.") % {"file": path})
        report = archive.verify_archive(path, check_seal=check_seal)
        for problem in report.problems:
            self.stdout.write(problem)
        if not report.seal_checked:
            self.stdout.write(_("The seal was not checked."))
        if not report.ok:
            raise CommandError(
                _("%(file)s failed verification: %(count)d problem(s).")
                % {"file": path, "count": len(report.problems)}
            )
        self.stdout.write(
            _(
                "%(file)s is complete and unaltered: %(cases)d case(s), %(files)d files,"
                " %(events)d events."
            )
            % {
                "file": path,
                "cases": len(report.cases),
                "files": report.files,
                "events": report.events,
            }
        )

    def _export(self, target: str | None, *, out, actor, archived_from, archived_to, **_options):
        if not actor:
            raise CommandError(_("Name the user the export is made for (--actor)."))
        try:
            user = get_user_model().objects.get(username=actor, is_active=True)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(_("There is no active user %(name)s.") % {"name": actor}) from exc
        bulk = bool(archived_from or archived_to)
        if bulk == bool(target):
            raise CommandError(_("Give either a case number or --from and --to, not both."))
        if bulk and not out:
            raise CommandError(_("Name the zip to write (--out)."))
        printed = [-PRINT_STEP]

        def progress(done: int, total: int) -> None:
            percent = done * 100 // total if total else 100
            if bulk and percent - printed[0] >= PRINT_STEP:
                printed[0] = percent
                self.stdout.write(f"{done}/{total} ({percent}%)…")

        try:
            if bulk:
                export = services.archive_export_request(
                    actor=user,
                    archived_from=_day(archived_from) if archived_from else None,
                    archived_to=_day(archived_to) if archived_to else None,
                    background=False,
                )
            else:
                case = case_by_number(actor=user, number=target)
                export = services.archive_export_request(actor=user, case=case, background=False)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        export = services.archive_export_run(export_id=export.pk, progress=progress)
        if export.state != ArchiveExport.State.DONE:
            raise CommandError(export.error)
        path = Path(out or f"{archive.safe_name(target)}.zip")
        with export.file.open("rb") as source, path.open("wb") as destination:
            shutil.copyfileobj(source, destination)
        self.stdout.write(
            _("Exported %(count)d case(s) to %(file)s (SHA-256 %(sha256)s).")
            % {"count": export.done, "file": path, "sha256": export.sha256}
        )
