"""Builds the common-character subsets of the Noto CJK fonts the PDF forms print with
(documents.fonts) into VAR_DIR/fonts, so that the first form after an install or a font
upgrade does not pay the second it takes:

    bangban fonts

Safe to run again: subsets that exist for the installed fonts and the current repertoire are
kept."""

from django.core.management.base import BaseCommand

from bangban.documents import fonts


class Command(BaseCommand):
    help = "Build the subsets of the Noto CJK fonts used by the PDF forms."

    def handle(self, *args, **options) -> None:
        for subset in fonts.build():
            self.stdout.write(f"{subset.family}: {subset.path}")
