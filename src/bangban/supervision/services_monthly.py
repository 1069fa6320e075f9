"""Monthly statistical reports per town (001 §五(二)): who may make and read them, and making
one (a new version each time; the earlier ones are kept)."""

import hashlib
from datetime import date

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bangban.core.errors import NotFound, PermissionDenied, ValidationFailed
from bangban.core.events import event_record
from bangban.documents.rendering import content_hash
from bangban.org.models import Level, Role, Unit
from bangban.org.scoping import MANAGING_ROLES, scope_path
from bangban.supervision import monthly
from bangban.supervision.models import MonthlyReport

# Managers of the town, the centre's administrators and system administrators make reports;
# supervisors read them.
READING_ROLES = {*MANAGING_ROLES, Role.SUPERVISOR}


def _role_path(actor, roles) -> str | None:
    path = scope_path(actor)
    if path is None:
        return None
    if actor.is_superuser or actor.role in roles:
        return path
    return None


def towns_readable(actor) -> QuerySet[Unit]:
    """The towns whose reports the actor reads: those in their area (all for the centre)."""
    path = _role_path(actor, READING_ROLES)
    if path is None:
        return Unit.objects.none()
    return Unit.objects.filter(level=Level.TOWN, path__startswith=path).order_by("path")


def can_generate(actor, unit: Unit | None = None) -> bool:
    path = _role_path(actor, MANAGING_ROLES)
    return path is not None and (unit is None or unit.path.startswith(path))


def can_read(actor, unit: Unit) -> bool:
    path = _role_path(actor, READING_ROLES)
    return path is not None and unit.path.startswith(path)


def reports_readable(actor) -> QuerySet[MonthlyReport]:
    path = _role_path(actor, READING_ROLES)
    if path is None:
        return MonthlyReport.objects.none()
    return MonthlyReport.objects.filter(unit__path__startswith=path).select_related(
        "unit", "generated_by"
    )


def report_get(*, actor, pk: int) -> MonthlyReport:
    try:
        return reports_readable(actor).get(pk=pk)
    except MonthlyReport.DoesNotExist as exc:
        raise NotFound(_("There is no such monthly report, or it is outside your area.")) from exc


def _check_month(month: date) -> date:
    first = monthly.month_first(month)
    if first > monthly.month_first(timezone.localdate()):
        raise ValidationFailed(
            _("A monthly report can only be made for the current or a past month."),
            field="month",
        )
    return first


def monthly_report_generate(*, actor, unit: Unit, month: date) -> MonthlyReport:
    """Make the next version of the town's report for the month: its figures counted now, the
    PDF and the workbook, their hashes, and one event. `actor=None` is the system (the
    scheduled command); anyone else must manage the town or the county."""
    if actor is not None and not can_generate(actor, unit):
        raise PermissionDenied(
            _("Only the town's manager and the county centre can make its monthly report.")
        )
    if unit.level != Level.TOWN:
        raise ValidationFailed(
            _(
                "Monthly reports are made per town: %(unit)s is not a town point; make the "
                "report of its town instead."
            )
            % {"unit": unit.name},
            field="unit",
        )
    first = _check_month(month)
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        # Two clicks at once get versions n and n+1, never the same number.
        Unit.objects.select_for_update().filter(pk=unit.pk).first()
        version = (
            MonthlyReport.objects.filter(unit=unit, month=first).aggregate(v=Max("version"))["v"]
            or 0
        ) + 1
        now = timezone.now()
        figures = monthly.monthly_figures(unit, first)
        digest = content_hash(figures)
        context = monthly.report_context(figures, version=version, generated_at=now, digest=digest)
        pdf = monthly.report_pdf(context)
        xlsx = monthly.report_xlsx(context)
        report = MonthlyReport(
            unit=unit,
            month=first,
            version=version,
            generated_at=now,
            generated_by=actor,
            figures=figures,
            content_sha256=digest,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            xlsx_sha256=hashlib.sha256(xlsx).hexdigest(),
        )
        name = f"{unit.code}-{first:%Y-%m}-v{version}"
        report.pdf.save(f"{name}.pdf", ContentFile(pdf), save=False)
        report.xlsx.save(f"{name}.xlsx", ContentFile(xlsx), save=False)
        report.save()
        event_record(
            actor=actor,
            action="monthly_report.generate",
            obj=report,
            after={
                "unit": unit.code,
                "month": f"{first:%Y-%m}",
                "version": version,
                "content_sha256": digest,
                "pdf_sha256": report.pdf_sha256,
                "xlsx_sha256": report.xlsx_sha256,
                "scheduled": actor is None,
            },
        )
    return report


def monthly_reports_run(
    *, month: date, force: bool = False, actor=None
) -> tuple[list[MonthlyReport], list[Unit]]:
    """The month's report for every active town that has none yet (all of them with `force`,
    each getting a new version). Returns the reports made and the towns skipped."""
    made, skipped = [], []
    first = _check_month(month)
    done = set(
        MonthlyReport.objects.filter(month=first).values_list("unit_id", flat=True).distinct()
    )
    for town in Unit.objects.filter(level=Level.TOWN, is_active=True).order_by("path"):
        if town.pk in done and not force:
            skipped.append(town)
            continue
        made.append(monthly_report_generate(actor=actor, unit=town, month=first))
    return made, skipped
