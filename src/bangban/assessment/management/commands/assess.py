"""`bangban assess --year 2026 [--publish] [--actor USERNAME]`: compute the year's drafts for
every town (a published year is shown as stored), optionally publish them, and print the
county ranking."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from bangban.assessment import outputs, services
from bangban.core.errors import ApplicationError
from bangban.org.models import Role


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse wants plain text, so translated when it is shown
        return _("Compute the annual assessment of the towns and print the ranking.")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help=_("The year assessed."))
        parser.add_argument("--publish", action="store_true", help=_("Publish the results."))
        parser.add_argument(
            "--actor", help=_("User name of a centre administrator (default: the first one).")
        )

    def handle(self, *args, year: int, publish: bool, actor: str | None, **options):
        users = get_user_model().objects.filter(is_active=True)
        if actor:
            user = users.filter(username=actor).first()
            if user is None:
                raise CommandError(_("No such user: %(name)s") % {"name": actor})
        else:
            user = users.filter(role=Role.CENTRE_ADMIN).order_by("pk").first()
            if user is None:
                raise CommandError(_("Name a centre administrator with --actor."))
        try:
            results = services.assessment_compute(actor=user, year=year)
            if publish:
                if any(a.is_published for a in results):
                    self.stdout.write(_("%(year)d is already published.") % {"year": year})
                else:
                    services.assessment_publish(actor=user, year=year)
                    results = services.assessment_compute(actor=user, year=year)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(outputs.ranking_table(results))
