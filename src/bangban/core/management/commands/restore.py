"""`bangban restore DIR [--force]`: check a backup made by `bangban backup`, restore it into
the configured database and MEDIA_ROOT, then check the event chain and the counts.

Exits 1 when the backup is refused (nothing changed) or when the restored data does not check
out (the report says what)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from bangban.core.backup import backup_restore
from bangban.core.errors import ApplicationError


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _("Restore a backup into the configured database and MEDIA_ROOT.")

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", help=_("A directory made by backup."))
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Replace a database that already holds cases, events or users."),
        )

    def handle(self, *args, directory: str, force: bool, **options):
        try:
            report = backup_restore(directory, force=force, progress=self.stdout.write)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        expected = report.manifest.get("counts", {})
        for key, count in report.counts.items():
            self.stdout.write(
                _("%(table)s: %(actual)s (backup: %(expected)s)")
                % {"table": key, "actual": count, "expected": expected.get(key, "-")}
            )
        self.stdout.write(
            _("Event chain checked: %(count)s events.") % {"count": report.chain_checked}
        )
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(warning))
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(problem)
            raise CommandError(_("The restored data does not match the backup."))
        self.stdout.write(self.style.SUCCESS(_("The restore is complete and checks out.")))
