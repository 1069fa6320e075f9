"""`bangban demo-logins`: list the demo accounts and their shared, published password."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from bangban.demo.management.commands.demo import write_demo_logins


class Command(BaseCommand):
    requires_system_checks = []  # a read-only listing: no warnings around the table

    @property
    def help(self) -> str:  # translated when asked, as argparse cannot wrap a lazy string
        return _("List the demo accounts and their shared published password.")

    def handle(self, *args, **options):
        write_demo_logins(self.stdout)
