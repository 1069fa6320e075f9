"""`bangban ledger export FILE.xlsx --actor USERNAME [--state …] [--from … --to …]`: the case
ledger of the actor's area, as the export page makes it, with its progress printed."""

import shutil
from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from bangban.cases.selectors import CaseFilters
from bangban.cases.workflow import State
from bangban.core.errors import ApplicationError
from bangban.supervision import services
from bangban.supervision.models import LedgerExport

# A progress line each time the export moved this many points.
PRINT_STEP = 10


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("%(value)s is not a date (YYYY-MM-DD).") % {"value": value}) from exc


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse wants plain text, so translated when it is shown
        return _("Export the case ledger of a user's area to an Excel workbook.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export"], help=_("export: write the workbook."))
        parser.add_argument("file", metavar="FILE.xlsx", help=_("The Excel workbook."))
        parser.add_argument(
            "--actor", required=True, help=_("User name: the ledger covers their area.")
        )
        parser.add_argument("--state", choices=State.values, default="", help=_("Case state."))
        parser.add_argument(
            "--from", dest="registered_from", help=_("Registered on or after (YYYY-MM-DD).")
        )
        parser.add_argument(
            "--to", dest="registered_to", help=_("Registered on or before (YYYY-MM-DD).")
        )

    def handle(self, *args, file: str, actor: str, state: str, **options):
        first = _day(options["registered_from"]) if options["registered_from"] else None
        last = _day(options["registered_to"]) if options["registered_to"] else None
        if first and last and first > last:
            raise CommandError(_("The end date is before the start date."))
        try:
            user = get_user_model().objects.get(username=actor, is_active=True)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(_("There is no active user %(name)s.") % {"name": actor}) from exc
        filters = CaseFilters(state=state, registered_from=first, registered_to=last)
        printed = [-PRINT_STEP]

        def progress(done: int, total: int) -> None:
            percent = done * 100 // total if total else 100
            if percent - printed[0] >= PRINT_STEP:
                printed[0] = percent
                self.stdout.write(f"{done}/{total} ({percent}%)…")

        try:
            export = services.ledger_export_request(actor=user, filters=filters, background=False)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        export = services.ledger_export_run(export_id=export.pk, progress=progress)
        if export.state != LedgerExport.State.DONE:
            raise CommandError(export.error)
        path = Path(file)
        with export.file.open("rb") as source, path.open("wb") as target:
            shutil.copyfileobj(source, target)
        self.stdout.write(
            _("Exported %(count)s cases to %(file)s.") % {"count": export.done, "file": path}
        )
