"""The work on an accepted case: the delegation agreement, the start with its department tasks,
dispatch, submission, decisions, urging, supervision, plans and pauses."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from bangban.cases import deadlines, sms
from bangban.cases.models import (
    Agreement,
    Case,
    Decision,
    Milestone,
    Plan,
    Task,
)
from bangban.cases.services.common import (
    _act,
    _agent_of,
    _day,
    _notify,
)
from bangban.cases.workflow import Action
from bangban.core.calendar import working_days_between
from bangban.core.errors import Conflict, ValidationFailed
from bangban.org.models import Agent, Role, User
from bangban.org.scoping import in_scope


@transaction.atomic
def agreement_sign(
    *,
    actor,
    case: Case,
    revision: int,
    applicant_signatory: str,
    agent: Agent | None = None,
    agent_phone: str = "",
    terms: str = "",
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Agreement:
    """代办服务委托书: signed by the applicant and the agent before any proxy work."""
    signatory = applicant_signatory.strip()
    if not signatory:
        raise ValidationFailed(
            _("Enter who signed for the applicant."), field="applicant_signatory"
        )
    agent = agent or case.agent or _agent_of(actor)
    if agent is None:
        raise ValidationFailed(_("Name the agent who signs the agreement."), field="agent")
    phone = agent_phone.strip() or agent.public_phone or agent.unit.phone
    if not phone:
        raise ValidationFailed(_("Enter the agent's contact phone."), field="agent_phone")
    case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.SIGN_AGREEMENT,
        changes=lambda _c, when: {"agreement_signed_at": when},
        record={"applicant_signatory": signatory, "agent": agent.pk},
        summary=_("Signed by %(applicant)s and %(agent)s")
        % {"applicant": signatory, "agent": agent.name},
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    if agent.unit_id != case.unit_id and not in_scope(actor, agent.unit):
        raise ValidationFailed(_("The agent does not belong to this unit."), field="agent")
    return Agreement.objects.create(
        case=case,
        applicant_signatory=signatory,
        agent=agent,
        agent_phone=phone,
        scope=case.proxy_scope,
        terms=terms.strip(),
        signed_at=when,
    )


def _task_rows(case: Case) -> list[Task]:
    """One task per item and department; in a bundle the lead department's task leads."""
    lead_id = case.bundle.lead_department_id if case.bundle_id else None
    rows = []
    for case_item in case.items.select_related("item", "item_version"):
        item = case_item.item
        if item.department_id is None:
            continue
        days = deadlines.limit_days([case_item.item_version])
        rows.append(
            Task(
                case=case,
                item=item,
                department_id=item.department_id,
                lead=item.department_id == lead_id,
                limit_days=days,
                due_date=deadlines.due_date(case.accepted_on, days, case.paused_working_days)
                if case.accepted_on
                else None,
            )
        )
    if rows and not any(t.lead for t in rows) and len({t.department_id for t in rows}) == 1:
        for task in rows:
            task.lead = True
    return rows


@transaction.atomic
def case_start(
    *,
    actor,
    case: Case,
    revision: int,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Case:
    """The work starts: the department tasks are opened, each with its own due date."""
    case, _moment = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.START,
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    if not case.tasks.exists():
        Task.objects.bulk_create(_task_rows(case))
    return case


@transaction.atomic
def case_assign(*, actor, case: Case, revision: int, agent: Agent) -> Case:
    """派单: a manager gives the case to an agent of the case's unit, who is notified."""
    if agent.unit_id != case.unit_id or agent.active_until is not None:
        raise ValidationFailed(_("The agent does not belong to this unit."), field="agent")
    case, _moment = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.ASSIGN,
        changes={"agent": agent},
        record={"agent": agent.pk},
        summary=agent.name,
    )
    _notify([agent.user], case, _("Case %(number)s is yours now.") % {"number": case.number})
    sms.case_dispatched(case, agent)
    return case


def _task_of(case: Case, task: Task) -> Task:
    task = Task.objects.select_related("department", "item").get(pk=task.pk)
    if task.case_id != case.pk:
        raise ValidationFailed(_("This task belongs to another case."), field="task")
    return task


@transaction.atomic
def task_submit(
    *,
    actor,
    case: Case,
    revision: int,
    task: Task,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Task:
    """The agent submits the application to the department."""
    task = _task_of(case, task)
    if task.submitted_at is not None:
        raise Conflict(_("This task has been submitted already."))
    _case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.SUBMIT_TASK,
        record={"task": task.pk},
        summary=f"{task.item.name} → {task.department.name}",
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    Task.objects.filter(pk=task.pk).update(submitted_at=when)
    task.refresh_from_db()
    return task


@transaction.atomic
def task_decide(
    *,
    actor,
    case: Case,
    revision: int,
    task: Task,
    decision: str,
    reason: str = "",
    result: str = "",
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Task:
    """The department's decision: approved, with the result documents, or not approved with
    the reason. Recorded by the department's liaison (or by the agent from the paper)."""
    task = _task_of(case, task)
    if decision not in Decision.values:
        raise ValidationFailed(_("Choose approved or not approved."), field="decision")
    reason, result = reason.strip(), result.strip()
    if decision == Decision.NOT_APPROVED and not reason:
        raise ValidationFailed(_("Give the reason it was not approved."), field="reason")
    if decision == Decision.APPROVED and not result:
        raise ValidationFailed(
            _("Name the result documents (licence, approval, …)."), field="result"
        )
    if task.decision:
        raise Conflict(_("This task has been decided already."))
    _case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.DECIDE_TASK,
        record={"task": task.pk, "decision": decision, "result": result, "reason": reason},
        summary=f"{task.item.name}: {Decision(decision).label} {result or reason}",
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
        task=task,
    )
    Task.objects.filter(pk=task.pk).update(
        decision=decision,
        decision_reason=reason,
        result=result,
        decided_at=when,
        decided_by=actor,
        submitted_at=task.submitted_at or when,
    )
    task.refresh_from_db()
    return task


@transaction.atomic
def task_urge(*, actor, case: Case, revision: int, task: Task, note: str = "") -> Task:
    """催办: the agent urges the department; the liaisons of the department are notified."""
    task = _task_of(case, task)
    if task.decision:
        raise Conflict(_("This task has been decided already."))
    _case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.URGE,
        record={"task": task.pk, "note": note.strip()},
        summary=f"{task.department.name}: {note.strip()}",
    )
    Task.objects.filter(pk=task.pk).update(urged=F("urged") + 1, last_urged_at=when)
    liaisons = User.objects.filter(
        unit__path__startswith=task.department.path, role=Role.LIAISON, is_active=True
    )
    _notify(
        list(liaisons),
        case,
        _("Case %(number)s: please speed up “%(item)s”.")
        % {"number": case.number, "item": task.item.name},
    )
    task.refresh_from_db()
    return task


@transaction.atomic
def case_supervise(*, actor, case: Case, revision: int, reason: str) -> Case:
    """督办: a manager marks the case supervised; its agent and the liaisons are notified."""
    case, _moment = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.SUPERVISE,
        reason=reason,
        changes=lambda c, when: {"supervised_at": c.supervised_at or when},
    )
    recipients = [case.agent.user if case.agent else None, case.created_by]
    recipients += list(
        User.objects.filter(
            role=Role.LIAISON,
            unit__in=case.tasks.filter(decision="").values("department"),
            is_active=True,
        )
    )
    _notify(
        recipients,
        case,
        _("Case %(number)s is under supervision: %(reason)s")
        % {"number": case.number, "reason": reason.strip()},
    )
    sms.case_supervised(case, reason)
    return case


@transaction.atomic
def plan_agree(
    *,
    actor,
    case: Case,
    revision: int,
    agreed_with: str,
    milestones: Sequence[Mapping[str, Any]],
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Plan:
    """A plan with milestones agreed with the applicant; a new one supersedes the last."""
    agreed_with = agreed_with.strip()
    if not agreed_with:
        raise ValidationFailed(_("Enter who agreed the plan."), field="agreed_with")
    rows = [
        {"title": str(m.get("title", "")).strip(), "due_on": m.get("due_on")} for m in milestones
    ]
    if not rows or any(not r["title"] or not isinstance(r["due_on"], date) for r in rows):
        raise ValidationFailed(_("Give every milestone a title and a date."), field="milestones")
    case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.PLAN,
        record={"agreed_with": agreed_with, "milestones": rows},
        summary="、".join(f"{r['title']}（{r['due_on']:%Y-%m-%d}）" for r in rows),
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    Plan.objects.filter(case=case, superseded=False).update(superseded=True)
    plan = Plan.objects.create(case=case, agreed_with=agreed_with, agreed_on=_day(when))
    Milestone.objects.bulk_create(Milestone(plan=plan, **row) for row in rows)
    return plan


@transaction.atomic
def milestone_done(
    *,
    actor,
    case: Case,
    revision: int,
    milestone: Milestone,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Milestone:
    milestone = Milestone.objects.select_related("plan").get(pk=milestone.pk)
    if milestone.plan.case_id != case.pk or milestone.plan.superseded:
        raise ValidationFailed(_("This milestone is not in the case's plan."), field="milestone")
    if milestone.done_on is not None:
        raise Conflict(_("This milestone is done already."))
    _case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.PROGRESS,
        record={"milestone": milestone.pk},
        summary=milestone.title,
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    Milestone.objects.filter(pk=milestone.pk).update(done_on=_day(when))
    milestone.refresh_from_db()
    return milestone


@transaction.atomic
def case_pause(
    *,
    actor,
    case: Case,
    revision: int,
    reason: str,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Case:
    """Waiting for the applicant: from that day the days do not count against the deadline."""
    case, _moment = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.PAUSE,
        reason=reason,
        changes=lambda _c, when: {"paused_since": _day(when)},
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    return case


@transaction.atomic
def case_resume(
    *,
    actor,
    case: Case,
    revision: int,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Case:
    """The working days spent paused move the due dates (the case's and every open task's)
    back by as many working days."""
    moved: dict[str, Any] = {}

    def changes(locked: Case, when: datetime) -> dict[str, Any]:
        paused = (
            max(0, working_days_between(locked.paused_since, _day(when)))
            if locked.paused_since
            else 0
        )
        total = locked.paused_working_days + paused
        due = (
            deadlines.due_date(locked.accepted_on, locked.limit_days, total)
            if locked.accepted_on
            else None
        )
        moved.update(paused=paused, total=total, due=due)
        return {"paused_since": None, "paused_working_days": total, "due_date": due}

    case, _moment = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.RESUME,
        changes=changes,
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    for task in case.tasks.filter(decision=""):
        if case.accepted_on and task.limit_days is not None:
            task.due_date = deadlines.due_date(case.accepted_on, task.limit_days, moved["total"])
            task.save(update_fields=["due_date"])
    return case
