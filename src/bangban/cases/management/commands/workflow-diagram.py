from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from bangban.cases.workflow import diagram


class Command(BaseCommand):
    requires_system_checks: list = []

    @property
    def help(self) -> str:
        return _("Write the case workflow diagram (Markdown with Mermaid) to a file or stdout.")

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help=_("Where to write it (default: stdout)."))

    def handle(self, *args, file: str | None = None, **options):
        text = diagram()
        if file:
            Path(file).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
