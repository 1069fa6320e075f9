"""`bangban tally --rebuild`: recompute the monthly case tally the dashboards read, from the
cases. The services keep it up to date; a rebuild is for after a bulk load, a restore, a
direct repair of case rows, or a calendar entered late (a year without a calendar leaves the
working days of the cases completed in it uncounted until then)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from bangban.cases.tally import tally_rebuild


class Command(BaseCommand):
    help = "Recompute the monthly case tally (the dashboards' counts) from the cases."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="Recompute it now.")

    def handle(self, *args, **options):
        if not options["rebuild"]:
            raise CommandError(_("Say --rebuild to recompute the case tally."))
        rows = tally_rebuild()
        self.stdout.write(_("Case tally rebuilt: %(rows)d rows.") % {"rows": rows})
