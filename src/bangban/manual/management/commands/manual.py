"""`bangban manual build [--out DIR]`: the manual as HTML and PDF (build.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from bangban.documents.rendering import MissingGlyph
from bangban.manual.build import BuildError, build_manual, site_dir


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse wants plain text, so translated when it is shown
        return _(
            "Build the user manual (docs/manual) to HTML pages and PDFs: the whole manual, the "
            "English chapters and the one-page quick guides."
        )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["build"], help=_("build: write the manual."))
        parser.add_argument(
            "--out",
            help=_("The folder to write to (default: %(dir)s).") % {"dir": site_dir()},
        )

    def handle(self, *args, action: str, out: str | None, **options):
        verbose = options["verbosity"] > 1
        try:
            result = build_manual(
                Path(out) if out else None,
                log=(lambda line: self.stdout.write(line)) if verbose else (lambda line: None),
            )
        except (BuildError, MissingGlyph) as error:
            raise CommandError(str(error)) from error
        for slug, names in result.missing_images.items():
            self.stderr.write(
                _("Chapter %(chapter)s: screenshots missing: %(names)s")
                % {"chapter": slug, "names": ", ".join(names)}
            )
        self.stdout.write(
            _("The manual is built in %(dir)s (%(count)s files).")
            % {"dir": result.out, "count": len(result.files)}
        )
