"""What every case action shares: who may act, when it happened (back-entry), the timeline line,
notifications, and `_act`, the one path of a workflow action (permission, table, revision,
change, event)."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.cases.area import town_id_of
from bangban.cases.models import (
    Case,
    CaseLog,
    Notification,
    Task,
)
from bangban.cases.tally import facts_of, tally_change
from bangban.cases.workflow import Action, State, check
from bangban.core import faults
from bangban.core.errors import Conflict, PermissionDenied, ValidationFailed
from bangban.core.events import event_record
from bangban.core.faults import crash_point
from bangban.core.inserts import instances_insert
from bangban.core.text import text_check
from bangban.org.models import Agent, Level, Role, Unit, User
from bangban.org.scoping import MANAGING_ROLES, in_scope

CASE_ROLES = {Role.AGENT, Role.LIAISON, Role.MANAGER, Role.CENTRE_ADMIN, Role.SYSADMIN}


# How far back an action may be entered after the fact (补录), in calendar days.
BACK_ENTRY_DAYS = getattr(settings, "BANGBAN_BACK_ENTRY_DAYS", 30)


# Dispatch and supervision are a point manager's.
MANAGER_ACTIONS = frozenset({Action.ASSIGN, Action.SUPERVISE})


POINT_LEVELS = {Level.COUNTY, Level.TOWN, Level.VILLAGE, Level.OUTLET}


def _require_case_worker(actor, unit: Unit, joint_unit: Unit | None = None) -> None:
    if actor.role == Role.SUPERVISOR:
        raise PermissionDenied(_("Supervisors can view but cannot change anything."))
    if actor.role not in CASE_ROLES or not (
        in_scope(actor, unit) or (joint_unit is not None and in_scope(actor, joint_unit))
    ):
        raise PermissionDenied(_("This case is outside your area."))


def _require_manager(actor, case: Case) -> None:
    _require_case_worker(actor, case.unit, case.joint_unit)
    if actor.role not in MANAGING_ROLES:
        raise PermissionDenied(_("Only a point manager may do this."))


def may_register(actor) -> bool:
    """Whether the actor registers cases: service staff of a service point."""
    return (
        actor.role in CASE_ROLES and actor.unit_id is not None and actor.unit.level in POINT_LEVELS
    )


def works_on(actor, case: Case) -> bool:
    """Whether the actor works on the case: staff of its unit's subtree, or of the lower tier
    that escalated it for joint handling."""
    return actor.role in CASE_ROLES and (
        in_scope(actor, case.unit)
        or (case.joint_unit_id is not None and in_scope(actor, case.joint_unit))
    )


def permission_refusal(actor, case: Case, action: Action, tasks: Iterable[Task] = ()) -> str | None:
    """Why the actor may not take the action on the case, or None when they may. The one
    permission rule of the case actions: `_act` raises it, the case page hides what it
    refuses. `tasks` are those the action concerns (a liaison decides their department's)."""
    if actor.role == Role.SUPERVISOR:
        return _("Supervisors can view but cannot change anything.")
    if action == Action.DECIDE_TASK and actor.role == Role.LIAISON:
        if any(in_scope(actor, task.department) for task in tasks):
            return None
        return _("This task belongs to another department.")
    if not works_on(actor, case):
        return _("This case is outside your area.")
    if action in MANAGER_ACTIONS and actor.role not in MANAGING_ROLES:
        return _("Only a point manager may do this.")
    # A message is signed with its author's tier; a user of no unit (a system administrator)
    # has none.
    if action == Action.REMOTE_CONSULT and actor.unit_id is None:
        return _("Only staff who belong to a unit can write on the thread.")
    return None


def _when(occurred_at: datetime | None, back_entry_reason: str, not_before: datetime | None):
    """The moment an action happened, and the back-entry reason when it was earlier."""
    now = timezone.now()
    if occurred_at is None:
        return now, ""
    if timezone.is_naive(occurred_at):
        raise ValidationFailed(_("Give the time with its time zone."), field="occurred_at")
    if occurred_at > now:
        raise ValidationFailed(_("The time cannot be in the future."), field="occurred_at")
    reason = back_entry_reason.strip()
    if not reason:
        raise ValidationFailed(
            _("Say why this is entered after the fact (back-entry)."), field="back_entry_reason"
        )
    # The timeline line keeps it: refused when too long, never cut there.
    fits(CaseLog, "back_entry_reason", reason)
    if occurred_at < now - timedelta(days=BACK_ENTRY_DAYS):
        raise ValidationFailed(
            _("Back-entry is limited to the last %(days)d days.") % {"days": BACK_ENTRY_DAYS},
            field="occurred_at",
        )
    if not_before is not None and occurred_at < not_before:
        raise ValidationFailed(
            _("The time cannot be earlier than the case's last recorded step."),
            field="occurred_at",
        )
    return occurred_at, reason


def _log(*, case: Case, actor, action: str, when: datetime, reason: str, summary: str, event):
    instances_insert(
        CaseLog(
            case=case,
            action=action,
            occurred_at=when,
            recorded_at=timezone.now(),
            actor=actor,
            summary=summary[:500],
            back_entry_reason=reason[:200],
            event=event,
        )
    )


def _notify(users: Sequence[User], case: Case | None, text: str) -> None:
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(recipient=user, case=case, text=text[:300], created_at=now)
        for user in {u.pk: u for u in users if u is not None}.values()
    )


def _agent_of(user, *fields: str) -> Agent | None:
    """The user's agent record while in post, with only `fields` when named. A user has at
    most one (the link is one-to-one), so it is read with `get`: `first` would sort by the
    roster's order, which joins the unit table for nothing."""
    found = Agent.objects.filter(user=user, active_until__isnull=True)
    if fields:
        found = found.only(*fields)
    try:
        return found.get()
    except Agent.DoesNotExist:
        return None


def _locked(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("unit", "joint_unit", "agent")
        .get(pk=case.pk)
    )


def _act(
    *,
    actor,
    case: Case,
    revision: int,
    action: Action,
    reason: str = "",
    changes: Mapping[str, Any] | Callable[[Case, datetime], Mapping[str, Any]] | None = None,
    record: Mapping[str, Any] | None = None,
    summary: str = "",
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
    task: Task | None = None,
) -> tuple[Case, datetime]:
    """Apply one workflow action: permission, the table's rule, the revision check, the state
    change, the event and the timeline line, in the caller's transaction. `changes` may be a
    function of the locked case and the moment the action happened. Returns the updated case
    and that moment."""
    case = _locked(case)
    refused = permission_refusal(actor, case, action, [task] if task is not None else ())
    if refused:
        raise PermissionDenied(refused)
    if case.revision != revision:
        raise Conflict(_("Somebody else changed this case meanwhile. Reload it and try again."))
    rule = check(case, action)
    reason = reason.strip()
    if rule.needs_reason and not reason:
        raise ValidationFailed(_("Give the reason."), field="reason")
    last = case.log.order_by("-occurred_at").values_list("occurred_at", flat=True).first()
    when, back_reason = _when(occurred_at, back_entry_reason, last or case.registered_at)
    before = case.state
    values = dict(changes(case, when) if callable(changes) else (changes or {}))
    if rule.target is not None:
        values["state"] = rule.target
    if "unit" in values or "joint_unit" in values:
        values["town_id"] = town_id_of(
            values.get("unit", case.unit), values.get("joint_unit", case.joint_unit)
        )
    # Compare-and-swap on the revision: on SQLite, where rows are not locked, a concurrent
    # write still cannot slip in between the check and the update.
    updated = Case.objects.filter(pk=case.pk, revision=revision).update(
        revision=revision + 1, **values
    )
    if not updated:
        raise Conflict(_("Somebody else changed this case meanwhile. Reload it and try again."))
    # The case row is changed, its event not yet written: a crash here must leave neither.
    crash_point(faults.CASE_TRANSITION)
    before_facts = facts_of(case)
    case.refresh_from_db()
    tally_change(before_facts, facts_of(case), case_id=case.pk)
    extra = {"occurred_at": when, "back_entry": back_reason} if back_reason else {}
    event = event_record(
        actor=actor,
        action=f"case.{action.value}",
        obj=case,
        before={"state": before},
        after={
            "state": case.state,
            **({"reason": reason} if reason else {}),
            **dict(record or {}),
            **extra,
        },
    )
    _log(
        case=case,
        actor=actor,
        action=action.value,
        when=when,
        reason=back_reason,
        summary=summary or reason,
        event=event,
    )
    return case, when


def _not_archived(case: Case) -> None:
    """Records beside the workflow (deficiencies, incidents) also stop at the archive lock."""
    if case.state == State.ARCHIVED:
        raise Conflict(_("The case is archived: its record is locked."))


def _day(when: datetime) -> date:
    return timezone.localdate(when)


def fits(model, key: str, value: str) -> None:
    """A value longer than its column is refused with the limit, never cut short unseen (and
    never a database error: PostgreSQL would refuse it, SQLite would keep it whole); nor may it
    hold a control character (PostgreSQL refuses NUL; no form, PDF or workbook can carry one)."""
    text_check(value, field=key)
    field = model._meta.get_field(key)
    if field.max_length is not None and len(value) > field.max_length:
        raise ValidationFailed(
            _("%(field)s is too long: at most %(limit)d characters.")
            % {"field": field.verbose_name, "limit": field.max_length},
            field=key,
        )
