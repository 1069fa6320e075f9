"""`bangban verify-events`: walk the hash-chained event log and report the first broken link.

Exits 1 when the chain is broken, so that a scheduled check (cron, monitoring) can alert on it.
"""

import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from bangban.core.events import events_verify


class Command(BaseCommand):
    help = "Check that no event has been altered or removed."

    def handle(self, *args, **options):
        report = events_verify()
        if report.ok:
            self.stdout.write(
                _("The event chain is intact: %(count)s events.") % {"count": report.checked}
            )
            return
        reasons = {
            "altered": _("the record was altered"),
            "missing": _("the record is missing"),
            "prev_hash": _("the link to the previous record does not match"),
        }
        self.stderr.write(
            _("The event chain is broken at event %(seq)s: %(reason)s.")
            % {"seq": report.broken_seq, "reason": reasons.get(report.reason, report.reason)}
        )
        sys.exit(1)
