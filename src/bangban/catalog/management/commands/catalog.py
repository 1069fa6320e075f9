"""`bangban catalog export FILE.xlsx` and `bangban catalog import FILE.xlsx --actor USERNAME`:
the whole catalog as one Excel workbook, out and back in (all or nothing)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from bangban.catalog import excel
from bangban.catalog.services import CATALOG_ROLES

# Progress lines: one per stage, and one each time the import moved this many points.
PRINT_STEP = 10


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse wants plain text, so translated when it is shown
        return _(
            "Export the whole catalog to an Excel workbook, or import one (checked in full, "
            "then applied all or nothing)."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "action",
            choices=["export", "import"],
            help=_("export: write the workbook; import: read it into the catalog."),
        )
        parser.add_argument("file", metavar="FILE.xlsx", help=_("The Excel workbook."))
        parser.add_argument(
            "--actor",
            help=_("Import only: user name of a centre or system administrator."),
        )

    def handle(self, *args, action: str, file: str, actor: str | None, **options):
        path = Path(file)
        if action == "export":
            counts = excel.catalog_export(path)
            self.stdout.write(
                _(
                    "Exported %(items)s items, %(materials)s materials, %(steps)s steps and "
                    "%(bundles)s bundles to %(file)s."
                )
                % {
                    "items": counts["items"],
                    "materials": counts["material"],
                    "steps": counts["processstep"],
                    "bundles": counts["bundles"],
                    "file": path,
                }
            )
            return
        user = self.actor(actor)
        if not path.is_file():
            raise CommandError(_("The file %(file)s does not exist.") % {"file": path})
        printed: dict[str, int] = {}

        def progress(percent: int, stage: str) -> None:
            if stage not in printed or percent - printed[stage] >= PRINT_STEP:
                printed[stage] = percent
                self.stdout.write(f"{stage} {percent}%…")

        result = excel.catalog_import(
            actor=user, path_or_file=path, name=path.name, progress=progress
        )
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(problem.describe())
            raise CommandError(
                _("Nothing was imported: the workbook has %(count)s problems.")
                % {"count": len(result.problems)},
                returncode=1,
            )
        self.stdout.write(
            _(
                "Imported %(file)s: %(created)s items created, %(updated)s updated, "
                "%(unchanged)s unchanged; %(bundles)s bundles saved."
            )
            % {"file": path.name, **result.summary}
        )

    def actor(self, username: str | None):
        if not username:
            raise CommandError(_("Give the importing user with --actor USERNAME."))
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("There is no user %(username)s.") % {"username": username})
        if user.role not in CATALOG_ROLES:
            raise CommandError(_("Only centre administrators can change the catalog."))
        return user
