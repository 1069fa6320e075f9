"""`bangban demo --seed N [--scale F] [--if-empty]`: generate the demo county."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from bangban.cases.demo import demo_cases
from bangban.catalog.demo import load_catalog
from bangban.org.demo import DEMO_PASSWORD, DemoNotEmpty, demo_create, demo_logins, text_table
from bangban.org.models import Level, Unit


def write_demo_logins(stdout) -> None:
    """The demo logins table (also printed by `bangban demo-logins`)."""
    users = demo_logins()
    if not users:
        stdout.write(_("There are no demo accounts."))
        return
    stdout.write(
        _("Demo accounts: their password is published, so disable or delete them in production.")
    )
    rows = [
        (
            user.username,
            user.get_role_display(),
            user.unit.name if user.unit else "",
            user.full_name,
            DEMO_PASSWORD,
        )
        for user in users
    ]
    headers = [_("User name"), _("Role"), _("Unit"), _("Name"), _("Password")]
    for line in text_table(headers, rows):
        stdout.write(line.rstrip())


class Command(BaseCommand):
    @property
    def help(self) -> str:  # translated when asked, as argparse cannot wrap a lazy string
        return _(
            "Generate a deterministic demo county (units, agents, trainings, demo logins, "
            "service catalog) into an empty database."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help=_("Random seed; the same seed gives the same county (default 1)."),
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help=_("Multiply the number of villages and of village agents (default 1)."),
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=_("Do nothing when the database already holds units."),
        )

    def handle(self, *args, seed: int, scale: float, if_empty: bool, **options):
        if not scale > 0:
            raise CommandError(_("--scale must be a positive number."))
        if if_empty and Unit.objects.exists():
            self.stdout.write(_("The database already holds data; skipping the demo data."))
            write_demo_logins(self.stdout)
            return
        try:
            if Unit.objects.exists():  # checked again inside the transaction
                raise DemoNotEmpty(DemoNotEmpty.default_message())
            self.stdout.write(_("Generating the demo county…"))
            started = time.monotonic()
            with transaction.atomic():
                county = demo_create(seed=seed, scale=scale)
                catalog = load_catalog()
                cases = demo_cases(seed=seed)
        except DemoNotEmpty as exc:
            raise CommandError(
                " ".join([exc.message, _("Use --if-empty to skip the demo data.")])
            ) from exc
        units = county.units.values()

        def count(level: str) -> int:
            return sum(1 for unit in units if unit.level == level)

        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Created %(units)d units (%(departments)d departments, %(towns)d towns, "
                    "%(villages)d villages and communities, %(outlets)d outlets), %(agents)d "
                    "agents, %(activities)d trainings and meetings and %(changes)d personnel "
                    "changes in %(seconds).1f s."
                )
                % {
                    "units": len(county.units),
                    "departments": count(Level.DEPARTMENT),
                    "towns": count(Level.TOWN),
                    "villages": count(Level.VILLAGE),
                    "outlets": count(Level.OUTLET),
                    "agents": len(county.agents) + sum(1 for c in county.changes if c.new_agent_id),
                    "activities": len(county.activities),
                    "changes": len(county.changes),
                    "seconds": time.monotonic() - started,
                }
            )
        )
        self.stdout.write(
            _("Loaded %(items)d service items and %(bundles)d bundles into the catalog.")
            % {"items": len(catalog.items), "bundles": len(catalog.bundles)}
        )
        self.stdout.write(
            _("Recorded %(cases)d demo cases in every state.") % {"cases": len(cases)}
        )
        self.stdout.write("")
        write_demo_logins(self.stdout)
