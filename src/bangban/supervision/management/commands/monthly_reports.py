"""`bangban monthly_reports [--month YYYY-MM] [--force] [--actor USERNAME]`: the monthly
statistical report of every town for a month (by default the previous one), as the page makes
it. Run from cron on the 1st of each month; a town whose report for the month exists is
skipped, so a second run makes nothing (`--force` makes a new version of each). Without
`--actor` the reports are made by the system, and the events say so."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.core.errors import ApplicationError
from bangban.supervision import monthly
from bangban.supervision.services_monthly import monthly_reports_run


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse wants plain text, so translated when it is shown
        return _("Make the monthly statistical report of every town (the previous month).")

    def add_arguments(self, parser):
        parser.add_argument("--month", help=_("The month (YYYY-MM); the previous one if omitted."))
        parser.add_argument(
            "--force", action="store_true", help=_("Make a new version even where one exists.")
        )
        parser.add_argument(
            "--actor", help=_("User name the reports are made by; the system if omitted.")
        )

    def handle(self, *args, month: str | None, force: bool, actor: str | None, **options):
        if month:
            try:
                first = monthly.parse_month(month)
            except ValueError as exc:
                raise CommandError(
                    _("%(value)s is not a month (YYYY-MM).") % {"value": month}
                ) from exc
        else:
            first = monthly.month_previous(monthly.month_first(timezone.localdate()))
        user = None
        if actor:
            try:
                user = get_user_model().objects.get(username=actor, is_active=True)
            except get_user_model().DoesNotExist as exc:
                raise CommandError(
                    _("There is no active user %(name)s.") % {"name": actor}
                ) from exc
        try:
            made, skipped = monthly_reports_run(month=first, force=force, actor=user)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        for report in made:
            self.stdout.write(f"{report.unit.name}\t{report.month:%Y-%m}\tv{report.version}")
        self.stdout.write(
            _("%(made)s reports made for %(month)s, %(skipped)s towns already had one.")
            % {"made": len(made), "month": f"{first:%Y-%m}", "skipped": len(skipped)}
        )
