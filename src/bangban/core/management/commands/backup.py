"""`bangban backup DIR`: the database and every uploaded file into a new directory, with a
manifest of hashes (bangban.core.backup). The keys are not in it: keep them apart."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from bangban.core.backup import backup_create
from bangban.core.errors import ApplicationError


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse wants plain text, so translated when it is shown
        return _("Back up the database and the uploaded files into a new directory.")

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", help=_("A new or empty directory."))

    def handle(self, *args, directory: str, **options):
        try:
            backup_create(directory, progress=self.stdout.write)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
