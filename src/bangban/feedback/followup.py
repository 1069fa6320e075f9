"""Writes of the feedback loop (issue 7): rectification of bad ratings (差评整改) and callbacks
(回访). Each use case is one function: keyword-only, atomic, permission-checked, one event.

Rectification: every 不满意 or 非常不满意 rating (levels 2 and 1) opens one, for the unit that
handled the case, due `BANGBAN_RECTIFICATION_DAYS` working days after the day of the rating
(the case layer sends `rating_recorded`; `apps.FeedbackConfig.ready` connects the receiver).

    open ──record──▶ done ──callback, satisfied (3–5)──▶ closed
      ▲                │
      └──callback, still dissatisfied (1–2): reopened, due again in N working days

Recording the action after the due date needs a reason and a new date (an extension), which can
also be asked for beforehand (`rectification_extend`).

Callbacks: each month a random sample of each unit's finished cases is drawn
(`callback_sample_draw`); the seed is stored, so the same draw can be made again."""

import random
import secrets
from datetime import date

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.cases import sms
from bangban.cases.models import Case, Notification, Rating
from bangban.cases.workflow import State as CaseState
from bangban.core.calendar import CalendarNotCovered, add_working_days, format_date
from bangban.core.errors import Conflict, PermissionDenied, ValidationFailed
from bangban.core.events import event_record
from bangban.core.uploads import sha256_of
from bangban.documents.services.scans import scan_check
from bangban.feedback import selectors
from bangban.feedback.models import (
    Callback,
    CallbackSample,
    Category,
    Rectification,
    RectificationEvidence,
    RectificationState,
)
from bangban.notify.models import Kind
from bangban.org.models import Level, Role, Unit

BAD_LEVELS = (1, 2)
# A callback finds the applicant satisfied at 基本满意 or better: the levels that are not a bad
# rating.
SATISFIED_FROM = 3
TEXT_MAX = 4000
REMARKS_MAX = 1000
MAX_EVIDENCE_FILES = 10
SAMPLE_MAX = 500
FINISHED_STATES = (CaseState.COMPLETED, CaseState.DELIVERED, CaseState.ARCHIVED)


# Permissions ---------------------------------------------------------------------------------


def _require_role(actor, roles: set, obj, message: str) -> None:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("Sign in first."))
    if actor.role == Role.SUPERVISOR:
        raise PermissionDenied(_("Supervisors can view but cannot change anything."))
    if actor.role not in roles and not actor.is_superuser:
        raise PermissionDenied(message)
    if obj is not None and not selectors.unit_visible(actor, obj.unit):
        raise PermissionDenied(_("This is outside your area."))


def _require_rectifier(actor, rectification: Rectification) -> None:
    _require_role(
        actor,
        selectors.ANSWERING_ROLES,
        rectification,
        _("Only point managers and administrators can do this."),
    )


def _require_caller(actor, obj) -> None:
    """Callbacks are made by the centre, not by the unit being checked."""
    _require_role(
        actor,
        selectors.CALLBACK_ROLES,
        obj,
        _("Callbacks are made by the centre's administrators."),
    )


# Small checks --------------------------------------------------------------------------------


def _text(value: str | None, *, field: str, required: str, maximum: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(required, field=field)
    if len(value) > maximum:
        raise ValidationFailed(
            _("Please keep this to %(max)d characters or fewer (now %(count)d).")
            % {"max": maximum, "count": len(value)},
            field=field,
        )
    return value


def _due(start: date) -> tuple[date | None, str]:
    try:
        return add_working_days(start, settings.BANGBAN_RECTIFICATION_DAYS).due_date, ""
    except CalendarNotCovered as exc:
        return None, exc.message


def _locked(rectification: Rectification) -> Rectification:
    return (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("unit", "case")
        .get(pk=rectification.pk)
    )


def _notify_managers(rectification: Rectification, key: str) -> None:
    """The unit's managers: an in-app notice and a text message (to those with a phone)."""
    case = rectification.case
    managers = sms.managers_of(case)
    deadline = format_date(rectification.effective_due_on) if rectification.due_on else "-"
    sms.to_staff(
        case, managers, Kind.RECTIFICATION_DUE, {"deadline": deadline}, f":rectification{key}"
    )
    text = _("A bad rating of case %(number)s needs rectification by %(deadline)s.") % {
        "number": case.number,
        "deadline": deadline,
    }
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(recipient=user, case=case, text=text[:300], created_at=now)
        for user in managers
    )


def _state(rectification: Rectification) -> dict:
    return {
        "state": rectification.state,
        "due_on": rectification.due_on,
        "new_due_on": rectification.new_due_on,
    }


# Rectifications ------------------------------------------------------------------------------


@transaction.atomic
def rectification_open(*, rating: Rating, actor=None) -> Rectification | None:
    """Open the rectification of a bad rating (levels 1 and 2); None for any other rating.
    Called by the `rating_recorded` signal inside the rating's transaction, so it never fails
    the rating: without a calendar for the days to count it opens with no due date and a note.
    Idempotent: a rating has at most one rectification."""
    if rating.declined or rating.level not in BAD_LEVELS:
        return None
    existing = Rectification.objects.filter(rating=rating).first()
    if existing is not None:
        return existing
    case = Case.objects.select_related("unit").get(pk=rating.case_id)
    due_on, note = _due(timezone.localdate(rating.rated_at))
    rectification = Rectification.objects.create(
        case=case,
        rating=rating,
        unit=case.unit,
        opened_at=rating.rated_at,
        due_on=due_on,
        due_note=note[:500],
    )
    event_record(
        actor=actor,
        actor_label="" if getattr(actor, "is_authenticated", False) else "system",
        action="rectification.open",
        obj=rectification,
        after={
            "case": case.pk,
            "rating": rating.pk,
            "level": rating.level,
            "unit": case.unit_id,
            "due_on": due_on,
            "due_note": note,
        },
    )
    _notify_managers(rectification, "")
    return rectification


def on_rating_recorded(sender, *, rating: Rating, actor=None, **kwargs) -> None:
    """The receiver of `bangban.cases.signals.rating_recorded`."""
    rectification_open(rating=rating, actor=actor)


def _check_extension(
    rectification: Rectification, late_reason: str, new_due_on: date | None, today: date
) -> tuple[str, date]:
    late_reason = _text(
        late_reason,
        field="late_reason",
        required=_("Say why the rectification cannot be finished in time."),
    )
    if new_due_on is None:
        raise ValidationFailed(_("Enter the new due date."), field="new_due_on")
    if new_due_on < today:
        raise ValidationFailed(_("The new due date cannot be in the past."), field="new_due_on")
    current = rectification.effective_due_on
    if current is not None and new_due_on <= current:
        raise ValidationFailed(
            _("The new due date must be after the current one (%(date)s).")
            % {"date": format_date(current)},
            field="new_due_on",
        )
    return late_reason, new_due_on


def _evidence_check(files) -> list[UploadedFile]:
    files = [f for f in (files or []) if f]
    if len(files) > MAX_EVIDENCE_FILES:
        raise ValidationFailed(
            _("At most %(count)d files at a time.") % {"count": MAX_EVIDENCE_FILES},
            field="evidence",
        )
    for upload in files:
        try:
            scan_check(upload)
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field="evidence") from exc
    return files


@transaction.atomic
def rectification_record(
    *,
    actor,
    rectification: Rectification,
    finding_category: str,
    finding: str,
    action_taken: str,
    evidence=(),
    late_reason: str = "",
    new_due_on: date | None = None,
) -> Rectification:
    """Record what was found, what was done and the evidence (a photo, a scan: PDF, JPG or PNG,
    checked by content; at least one file in all). The rectification is then done and awaits the
    callback. After the due date (the extended one if any) a reason and a new date are
    required."""
    _require_rectifier(actor, rectification)
    rectification = _locked(rectification)
    if rectification.state != RectificationState.OPEN:
        raise Conflict(_("This rectification has already been recorded."))
    if finding_category not in Category.values:
        raise ValidationFailed(_("Choose what the problem was."), field="finding_category")
    finding = _text(finding, field="finding", required=_("Write what was found."))
    action_taken = _text(action_taken, field="action_taken", required=_("Write what was done."))
    files = _evidence_check(evidence)
    if not files and not rectification.evidence.exists():
        raise ValidationFailed(
            _("Attach the evidence of the action (PDF, JPG or PNG)."), field="evidence"
        )
    today = timezone.localdate()
    before = _state(rectification)
    due = rectification.effective_due_on
    late = due is not None and today > due
    if late or (late_reason or "").strip() or new_due_on is not None:
        if late and not (late_reason or "").strip():
            raise ValidationFailed(
                _(
                    "The rectification was due on %(date)s: say why it was not finished in time "
                    "and enter the new date."
                )
                % {"date": format_date(due)},
                field="late_reason",
            )
        reason, new_date = _check_extension(rectification, late_reason, new_due_on, today)
        rectification.late_reason, rectification.new_due_on = reason, new_date
    now = timezone.now()
    for upload in files:
        sha = sha256_of(upload)
        upload.seek(0)
        RectificationEvidence.objects.create(
            rectification=rectification,
            file=upload,
            original_name=(upload.name or "")[:255],
            content_type=scan_check(upload),
            size=upload.size,
            sha256=sha,
            uploaded_at=now,
            uploaded_by=actor,
        )
    rectification.finding_category = finding_category
    rectification.finding = finding
    rectification.action_taken = action_taken
    rectification.state = RectificationState.DONE
    rectification.done_at = now
    rectification.done_by = actor
    rectification.save()
    event_record(
        actor=actor,
        action="rectification.record",
        obj=rectification,
        before=before,
        after={
            **_state(rectification),
            "finding_category": finding_category,
            "late": late,
            "late_reason": rectification.late_reason if late else "",
            "evidence": [e.sha256 for e in rectification.evidence.all()],
        },
    )
    return rectification


@transaction.atomic
def rectification_extend(
    *, actor, rectification: Rectification, late_reason: str, new_due_on: date | None
) -> Rectification:
    """Ask for more time, before or after the due date: a reason and a new date (later than the
    current one, not in the past)."""
    _require_rectifier(actor, rectification)
    rectification = _locked(rectification)
    if rectification.state != RectificationState.OPEN:
        raise Conflict(_("Only a rectification still being worked on can be extended."))
    before = _state(rectification)
    reason, new_date = _check_extension(
        rectification, late_reason, new_due_on, timezone.localdate()
    )
    rectification.late_reason, rectification.new_due_on = reason, new_date
    rectification.save(update_fields=["late_reason", "new_due_on"])
    event_record(
        actor=actor,
        action="rectification.extend",
        obj=rectification,
        before=before,
        after={**_state(rectification), "late_reason": reason},
    )
    return rectification


def _satisfaction(reached: bool, satisfaction) -> int | None:
    if not reached:
        return None
    try:
        value = int(satisfaction)
    except (TypeError, ValueError):
        value = 0
    if value not in (1, 2, 3, 4, 5):
        raise ValidationFailed(_("Choose one of the five levels."), field="satisfaction")
    return value


def _remarks(remarks: str | None) -> str:
    remarks = (remarks or "").strip()
    if len(remarks) > REMARKS_MAX:
        raise ValidationFailed(
            _("Please keep this to %(max)d characters or fewer (now %(count)d).")
            % {"max": REMARKS_MAX, "count": len(remarks)},
            field="remarks",
        )
    return remarks


@transaction.atomic
def rectification_callback(
    *,
    actor,
    rectification: Rectification,
    reached: bool,
    satisfaction: int | None = None,
    remarks: str = "",
) -> Callback:
    """The callback after the action: the applicant is asked whether they are now satisfied.
    Satisfied (3–5) closes the rectification; still dissatisfied (1–2) sends it back to open,
    due again `BANGBAN_RECTIFICATION_DAYS` working days from today, and the managers are told.
    Not reached: the call is recorded and the rectification waits for another."""
    _require_caller(actor, rectification)
    rectification = _locked(rectification)
    if rectification.state != RectificationState.DONE:
        raise Conflict(_("The callback comes after the action has been recorded."))
    level = _satisfaction(reached, satisfaction)
    remarks = _remarks(remarks)
    now = timezone.now()
    callback = Callback.objects.create(
        case=rectification.case,
        unit=rectification.unit,
        rectification=rectification,
        called_at=now,
        called_by=actor,
        reached=bool(reached),
        satisfaction=level,
        remarks=remarks,
    )
    before = _state(rectification)
    if level is not None and level >= SATISFIED_FROM:
        rectification.state = RectificationState.CLOSED
        rectification.closed_at = now
    elif level is not None:
        rectification.state = RectificationState.OPEN
        rectification.reopened += 1
        rectification.due_on, note = _due(timezone.localdate(now))
        rectification.due_note = note[:500]
        rectification.late_reason, rectification.new_due_on = "", None
        rectification.done_at, rectification.done_by = None, None
    rectification.save()
    event_record(
        actor=actor,
        action="rectification.callback",
        obj=rectification,
        before=before,
        after={
            **_state(rectification),
            "callback": callback.pk,
            "reached": bool(reached),
            "satisfaction": level,
        },
    )
    if rectification.state == RectificationState.OPEN:
        _notify_managers(rectification, f":reopened{rectification.reopened}")
    return callback


# Callback samples ----------------------------------------------------------------------------


def draw(case_ids: list[int], size: int, seed: int) -> list[int]:
    """The reproducible draw: `size` of the ids (fewer if there are fewer), chosen by
    `random.Random(seed)` from the ids sorted ascending."""
    population = sorted(case_ids)
    return random.Random(seed).sample(population, min(size, len(population)))


def finished_cases(unit: Unit, month: date) -> list[int]:
    """The ids of the unit's cases completed in the month and finished (completed, delivered or
    archived), ascending."""
    first = month.replace(day=1)
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return list(
        Case.objects.filter(
            unit=unit,
            state__in=FINISHED_STATES,
            completed_on__gte=first,
            completed_on__lt=nxt,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def callback_sample_draw(
    *,
    actor,
    unit: Unit,
    month: date,
    size: int | None = None,
    seed: int | None = None,
) -> CallbackSample:
    """Draw a month's callback sample for a unit: `size` (by default
    `BANGBAN_CALLBACK_SAMPLE_SIZE`) of its cases finished in the month, at most all of them.
    The seed (a random one if not given) is stored with the cases drawn; one sample per unit and
    month."""
    _require_role(
        actor,
        selectors.CALLBACK_ROLES,
        None,
        _("Callbacks are made by the centre's administrators."),
    )
    if unit is None or not unit.is_active or unit.level == Level.REGION:
        raise ValidationFailed(_("Choose a service point or department."), field="unit")
    if not selectors.unit_visible(actor, unit):
        raise PermissionDenied(_("This is outside your area."))
    if month is None:
        raise ValidationFailed(_("Choose the month."), field="month")
    month = month.replace(day=1)
    if month > timezone.localdate():
        raise ValidationFailed(_("The month has not begun yet."), field="month")
    size = settings.BANGBAN_CALLBACK_SAMPLE_SIZE if size is None else size
    if not isinstance(size, int) or not 1 <= size <= SAMPLE_MAX:
        raise ValidationFailed(
            _("The sample size is from 1 to %(max)d.") % {"max": SAMPLE_MAX}, field="size"
        )
    if seed is None:
        seed = secrets.randbits(48)
    if not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ValidationFailed(_("The seed is a whole number of 0 or more."), field="seed")
    if CallbackSample.objects.filter(unit=unit, month=month).exists():
        raise Conflict(_("The sample of this unit and month has already been drawn."))
    population = finished_cases(unit, month)
    chosen = draw(population, size, seed)
    sample = CallbackSample.objects.create(
        unit=unit,
        month=month,
        size=size,
        seed=seed,
        population=len(population),
        case_ids=chosen,
        drawn_at=timezone.now(),
        drawn_by=actor,
    )
    Callback.objects.bulk_create(Callback(case_id=pk, unit=unit, sample=sample) for pk in chosen)
    event_record(
        actor=actor,
        action="callback.sample",
        obj=sample,
        after={
            "unit": unit.pk,
            "month": month,
            "size": size,
            "seed": seed,
            "population": len(population),
            "cases": chosen,
        },
    )
    return sample


@transaction.atomic
def callback_record(
    *,
    actor,
    callback: Callback,
    reached: bool,
    satisfaction: int | None = None,
    remarks: str = "",
) -> Callback:
    """Record a sampled call: whether the applicant was reached, their satisfaction (five
    levels) and remarks. A call that did not reach them may be made again; a completed one is
    final."""
    _require_caller(actor, callback)
    callback = Callback.objects.select_for_update(of=("self",)).get(pk=callback.pk)
    if callback.rectification_id:
        raise Conflict(_("Record a rectification's callback on the rectification."))
    if callback.reached:
        raise Conflict(_("This call has already been recorded."))
    before = {"reached": callback.reached, "satisfaction": callback.satisfaction}
    callback.satisfaction = _satisfaction(reached, satisfaction)
    callback.remarks = _remarks(remarks)
    callback.reached = bool(reached)
    callback.called_at = timezone.now()
    callback.called_by = actor
    callback.save()
    event_record(
        actor=actor,
        action="callback.record",
        obj=callback,
        before=before,
        after={"reached": callback.reached, "satisfaction": callback.satisfaction},
    )
    return callback
