"""The case workflow, declared once: states, actions, the states each action may start from,
where it leads, the guards it must pass and the documents it produces.

The services enforce it through `check`, the UI offers only `allowed_actions`, the API answers
409 with the guard's Chinese reason, and docs/workflow.md is generated from it
(`bangban workflow-diagram`). Guards read a case through the small `CaseFacts` protocol, so this
module needs no model and every rule can be tested on plain data.

Sources: 000 §五 (flows), 001 §六 (procedures, 7 termination grounds), 002 第十八–二十二条
(acceptance outcomes, delivery), 004 §二(三) (on-the-spot check, one-time list)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from bangban.core.errors import Conflict


class State(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    AWAITING_MATERIALS = "awaiting_materials", _("Awaiting materials")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
    DELIVERED = "delivered", _("Delivered")
    TERMINATED = "terminated", _("Terminated")
    REFUSED = "refused", _("Refused")
    ARCHIVED = "archived", _("Archived")


class Action(models.TextChoices):
    ISSUE_NOTICE = "issue_notice", _("Issue a one-time notice")
    RECEIVE_SUPPLEMENT = "receive_supplement", _("Receive the supplement")
    ACCEPT = "accept", _("Accept")
    ACCEPT_TOLERATED = "accept_tolerated", _("Accept with tolerated deficiencies")
    REFUSE = "refuse", _("Refuse")
    SIGN_AGREEMENT = "sign_agreement", _("Sign the delegation agreement")
    START = "start", _("Start the work")
    ASSIGN = "assign", _("Dispatch to an agent")
    RECORD_HANDOVER = "record_handover", _("Record a handover")
    SUBMIT_TASK = "submit_task", _("Submit to the department")
    DECIDE_TASK = "decide_task", _("Record the department's decision")
    URGE = "urge", _("Urge the department")
    SUPERVISE = "supervise", _("Supervise")
    PLAN = "plan", _("Agree a plan")
    PROGRESS = "progress", _("Report progress on the plan")
    REMOTE_CONSULT = "remote_consult", _("Consult the upper tier")
    TRANSFER = "transfer", _("Transfer")
    ESCALATE = "escalate", _("Escalate to the upper tier")
    PAUSE = "pause", _("Pause")
    RESUME = "resume", _("Resume")
    COMPLETE = "complete", _("Complete")
    DELIVER = "deliver", _("Deliver the result")
    TERMINATE = "terminate", _("Terminate")
    RATE = "rate", _("Record the rating")
    ARCHIVE = "archive", _("Archive")


class Document(models.TextChoices):
    """The forms an action produces (SPEC §5; 000 annexes)."""

    ONE_TIME_NOTICE = "one_time_notice", _("One-time notice")
    ACCEPTANCE_RECEIPT = "acceptance_receipt", _("Acceptance receipt")
    DEFICIENCY_COMMITMENT = "deficiency_commitment", _("Tolerated-deficiency commitment")
    REFUSAL_NOTICE = "refusal_notice", _("Refusal notice")
    DELEGATION_AGREEMENT = "delegation_agreement", _("Delegation agreement")
    HANDOVER_LIST = "handover_list", _("Handover list")
    COMPLETION_NOTICE = "completion_notice", _("Completion notice")
    TERMINATION_FORMS = "termination_forms", _("Termination forms")
    EVALUATION_FORM = "evaluation_form", _("Evaluation form")


class CaseFacts(Protocol):
    """What the guards read of a case. The Case model provides it; tests use plain data."""

    state: str
    kind: str  # "assist" or "proxy"
    applicant_dishonest: bool
    agreement_signed: bool
    materials_held: int  # pieces of the applicant's material the service side still holds
    open_tasks: int  # department tasks without a decision
    rated: bool  # a rating, or a recorded refusal to rate
    archive_missing: tuple[str, ...]  # what the archive completeness check still lacks


@dataclass(frozen=True)
class Guard:
    name: str
    holds: Callable[[CaseFacts], bool]
    # Why the action is refused when the guard does not hold (shown to the user, HTTP 409).
    reason: Promise


NOT_DISHONEST_PROXY = Guard(
    "not_dishonest_proxy",
    lambda case: not (case.kind == "proxy" and case.applicant_dishonest),
    _("The applicant is a dishonest enterprise: a proxy case can only be refused."),
)
PROXY_ONLY = Guard(
    "proxy_only",
    lambda case: case.kind == "proxy",
    _("Only a proxy case has a delegation agreement."),
)
AGREEMENT_NOT_SIGNED = Guard(
    "agreement_not_signed",
    lambda case: not case.agreement_signed,
    _("The delegation agreement is already signed."),
)
AGREEMENT_FOR_PROXY = Guard(
    "agreement_for_proxy",
    lambda case: case.kind != "proxy" or case.agreement_signed,
    _("No proxy work may start before the delegation agreement is signed."),
)
TASKS_DECIDED = Guard(
    "tasks_decided",
    lambda case: case.open_tasks == 0,
    _("Every department task needs its decision before the case is completed."),
)
MATERIALS_RETURNED = Guard(
    "materials_returned",
    lambda case: case.materials_held == 0,
    _("Hand every material the service still holds back to the applicant first."),
)
NOT_RATED = Guard(
    "not_rated",
    lambda case: not case.rated,
    _("This case has been rated already: one rating per case."),
)
ARCHIVE_COMPLETE = Guard(
    "archive_complete",
    lambda case: not case.archive_missing,
    _("The case archive is not complete yet."),
)


@dataclass(frozen=True)
class Rule:
    action: Action
    sources: frozenset[State]
    # None: the action is recorded on the case and leaves its state as it is.
    target: State | None
    guards: tuple[Guard, ...] = ()
    documents: tuple[Document, ...] = ()
    # Actions that need a written reason (refusal, pause, termination, …).
    needs_reason: bool = False
    # The rule of the procedure the action implements, in one sentence citing its source
    # (shown above the action's form).
    rule: Promise | str = ""


OPEN = frozenset(
    {State.REGISTERED, State.AWAITING_MATERIALS, State.ACCEPTED, State.IN_PROGRESS, State.PAUSED}
)
# The open states in one fixed order, for queries. A frozenset's order follows the process's
# string hashes, which differ per process; SQLite uses a partial index only when the query's
# IN list is the index's own term, order included, and the case indexes declare sorted(OPEN).
OPEN_STATES: tuple[str, ...] = tuple(sorted(OPEN))
WORKING = frozenset({State.ACCEPTED, State.IN_PROGRESS, State.PAUSED})
CHECKING = frozenset({State.REGISTERED, State.AWAITING_MATERIALS})
FINISHED = frozenset({State.COMPLETED, State.DELIVERED})
NOT_ARCHIVED = frozenset(set(State) - {State.ARCHIVED})

RULES: tuple[Rule, ...] = (
    Rule(
        Action.ISSUE_NOTICE,
        CHECKING,
        State.AWAITING_MATERIALS,
        documents=(Document.ONE_TIME_NOTICE,),
        rule=_(
            "List every missing material at once, in writing, with how to obtain each and the"
            " deadline to supply it; never only by word of mouth (004 §二(三)2; 002 第十九条(二))."
        ),
    ),
    Rule(
        Action.RECEIVE_SUPPLEMENT,
        frozenset({State.AWAITING_MATERIALS}),
        State.REGISTERED,
        rule=_(
            "When the missing materials come in, check on the spot again that everything is "
            "complete before deciding on acceptance (004 §二(三)2; 002 第十九条)."
        ),
    ),
    Rule(
        Action.ACCEPT,
        frozenset({State.REGISTERED}),
        State.ACCEPTED,
        guards=(NOT_DISHONEST_PROXY,),
        documents=(Document.ACCEPTANCE_RECEIPT,),
        rule=_(
            "Complete materials that meet the requirements are accepted at once, with an "
            "acceptance receipt naming the item, the receiver and the date (002 第十九条(一))."
        ),
    ),
    Rule(
        Action.ACCEPT_TOLERATED,
        frozenset({State.REGISTERED, State.AWAITING_MATERIALS}),
        State.ACCEPTED,
        guards=(NOT_DISHONEST_PROXY,),
        documents=(Document.ACCEPTANCE_RECEIPT, Document.DEFICIENCY_COMMITMENT),
        rule=_(
            "Where tolerated-deficiency acceptance applies, accept first and state at once "
            "every material still to be supplied and its deadline (002 第十九条(三))."
        ),
    ),
    Rule(
        Action.REFUSE,
        CHECKING,
        State.REFUSED,
        documents=(Document.REFUSAL_NOTICE,),
        needs_reason=True,
        rule=_(
            "A request that does not qualify is refused by a written decision that states and"
            " explains the reason (002 第十九条(三); 000 §三)."
        ),
    ),
    Rule(
        Action.SIGN_AGREEMENT,
        frozenset({State.ACCEPTED}),
        None,
        guards=(PROXY_ONLY, AGREEMENT_NOT_SIGNED),
        documents=(Document.DELEGATION_AGREEMENT,),
        rule=_(
            "A proxy case needs the delegation agreement signed by the applicant and the "
            "agent before any proxy work starts (001 §六(二)1, annex 6; 000 §五(二)2)."
        ),
    ),
    Rule(
        Action.START,
        frozenset({State.ACCEPTED}),
        State.IN_PROGRESS,
        guards=(AGREEMENT_FOR_PROXY,),
        rule=_(
            "Once the materials are complete and handed over and the agreement is signed, the"
            " work starts as agreed and each department task is opened (001 §六(二)2; 004 "
            "§二(三)2)."
        ),
    ),
    Rule(
        Action.ASSIGN,
        OPEN,
        None,
        rule=_(
            "The point dispatches the case online to one named agent of the point, who "
            "answers for it to the end (003 §四(三)1; 000 §四(二))."
        ),
    ),
    Rule(
        Action.RECORD_HANDOVER,
        NOT_ARCHIVED,
        None,
        documents=(Document.HANDOVER_LIST,),
        rule=_(
            "Every handover of materials is recorded on the handover list with each material,"
            " its copies and both signatures, so that it is always known who holds what (000 "
            "§五(一)1; 004 §二(三)3)."
        ),
    ),
    Rule(
        Action.SUBMIT_TASK,
        frozenset({State.IN_PROGRESS}),
        None,
        rule=_(
            "The agent takes the application to each approving department and follows it up "
            "(000 §五(二)3; 001 §六(二)2)."
        ),
    ),
    Rule(
        Action.DECIDE_TASK,
        frozenset({State.IN_PROGRESS}),
        None,
        rule=_(
            "The department decides within its promised time limit; a decision not to approve"
            " states its reason (002 第二十条)."
        ),
    ),
    Rule(
        Action.URGE,
        frozenset({State.IN_PROGRESS}),
        None,
        rule=_(
            "Work that falls behind is urged at once, so that the case is completed within "
            "its time limit (000 §五(二)3)."
        ),
    ),
    Rule(
        Action.SUPERVISE,
        OPEN,
        None,
        needs_reason=True,
        rule=_(
            "A case that is stalled or overdue is supervised by the point manager until it is"
            " completed (000 §五(二)3)."
        ),
    ),
    Rule(
        Action.PLAN,
        WORKING,
        None,
        rule=_(
            "For a complex project with many steps, agree a plan with the applicant with "
            "clear milestones (001 §六(二)3)."
        ),
    ),
    Rule(
        Action.PROGRESS,
        WORKING,
        None,
        rule=_(
            "Track the plan milestone by milestone and tell the applicant how far the case "
            "has come (001 §六(二)3)."
        ),
    ),
    Rule(
        Action.REMOTE_CONSULT,
        OPEN,
        None,
        rule=_(
            "A town or village agent consults the county agents remotely on an item of the "
            "upper tier (001 §五(四))."
        ),
    ),
    Rule(
        Action.TRANSFER,
        OPEN,
        None,
        needs_reason=True,
        rule=_(
            "An item to be handled by another tier is transferred to the point responsible "
            "for it; its history stays on the case (001 §六(二)2)."
        ),
    ),
    Rule(
        Action.ESCALATE,
        OPEN,
        None,
        needs_reason=True,
        rule=_(
            "An item to be handled by the upper tier is put to it, to coordinate the "
            "departments for joint handling (001 §六(二)2)."
        ),
    ),
    Rule(
        Action.PAUSE,
        frozenset({State.IN_PROGRESS}),
        State.PAUSED,
        needs_reason=True,
        rule=_(
            "While the case waits for the applicant, its time limit stops; record why, and "
            "keep the applicant informed (001 §六(二)3; 002 第二十一条)."
        ),
    ),
    Rule(
        Action.RESUME,
        frozenset({State.PAUSED}),
        State.IN_PROGRESS,
        rule=_(
            "The work resumes; the working days spent paused move the due dates back (001 "
            "§六(二)3)."
        ),
    ),
    Rule(
        Action.COMPLETE,
        frozenset({State.IN_PROGRESS}),
        State.COMPLETED,
        guards=(TASKS_DECIDED,),
        documents=(Document.COMPLETION_NOTICE,),
        rule=_(
            "On completion, record the results and issue the completion notice for the "
            "applicant to sign (000 §五(二)4, annex 7)."
        ),
    ),
    Rule(
        Action.DELIVER,
        frozenset({State.COMPLETED}),
        State.DELIVERED,
        rule=_(
            "Deliver the results at the window, by free post, to the door or electronically, "
            "each piece checked with the applicant (002 第二十二条; 001 §六(二)5)."
        ),
    ),
    Rule(
        Action.TERMINATE,
        OPEN,
        State.TERMINATED,
        guards=(MATERIALS_RETURNED,),
        documents=(Document.TERMINATION_FORMS,),
        needs_reason=True,
        rule=_(
            "Terminate only on a ground of the procedure, after handing every material back, "
            "with the termination forms of both sides (001 §六(二)4; 000 §五(二)4, annexes 5 and "
            "6)."
        ),
    ),
    # 一事一评: every finished case is rated, a refused or terminated one too.
    Rule(
        Action.RATE,
        FINISHED | {State.TERMINATED, State.REFUSED},
        None,
        guards=(NOT_RATED,),
        documents=(Document.EVALUATION_FORM,),
        rule=_(
            "Every finished case is rated by the applicant on the evaluation form, once per "
            "case (000 §五(二)5, annex 9; 002 第三十五条)."
        ),
    ),
    Rule(
        Action.ARCHIVE,
        frozenset({State.DELIVERED, State.TERMINATED, State.REFUSED}),
        State.ARCHIVED,
        guards=(ARCHIVE_COMPLETE,),
        rule=_(
            "File everything of the case as one archive and check that it is complete before "
            "it is locked (一事一档, 000 §五(二)6)."
        ),
    ),
)
RULE_OF: dict[Action, Rule] = {rule.action: rule for rule in RULES}
# Where a new case starts (registration creates the ledger entry) and where cases end.
INITIAL = State.REGISTERED
FINAL = frozenset({State.ARCHIVED})


@dataclass(frozen=True)
class Refusal:
    action: Action
    reasons: tuple[str, ...] = field(default_factory=tuple)


def refusal(case: CaseFacts, action: Action) -> Refusal | None:
    """Why `action` may not be taken on `case` now, or None when it may."""
    rule = RULE_OF[action]
    if case.state not in rule.sources:
        return Refusal(
            action,
            (
                str(
                    _("A case that is %(state)s cannot be given the action “%(action)s”.")
                    % {"state": State(case.state).label, "action": action.label}
                ),
            ),
        )
    failed = tuple(str(g.reason) for g in rule.guards if not g.holds(case))
    return Refusal(action, failed) if failed else None


def check(case: CaseFacts, action: Action) -> Rule:
    """The one guard every case service passes: the rule to apply, or Conflict (409)."""
    refused = refusal(case, action)
    if refused is not None:
        raise Conflict(" ".join(refused.reasons), extra={"action": action.value})
    return RULE_OF[action]


def allowed_actions(case: CaseFacts) -> list[Action]:
    """The actions to offer on the case page, in the table's order."""
    return [rule.action for rule in RULES if refusal(case, rule.action) is None]


def diagram() -> str:
    """docs/workflow.md: a Mermaid state diagram of the transitions, and a table of every rule."""
    lines = [
        "# Case workflow",
        "",
        "Generated from `src/bangban/cases/workflow.py` by `bangban workflow-diagram`;",
        "do not edit by hand.",
        "",
        "```mermaid",
        "stateDiagram-v2",
        f"    [*] --> {INITIAL.value}: register",
    ]
    for rule in RULES:
        if rule.target is None:
            continue
        for source in sorted(rule.sources):
            guard = f" [{', '.join(g.name for g in rule.guards)}]" if rule.guards else ""
            lines.append(f"    {source} --> {rule.target.value}: {rule.action.value}{guard}")
    lines += [f"    {state.value} --> [*]" for state in sorted(FINAL)]
    lines += [
        "```",
        "",
        "| action | from | to | guards | documents | reason |",
        "|---|---|---|---|---|---|",
    ]
    for rule in RULES:
        lines.append(
            "| {action} | {sources} | {target} | {guards} | {docs} | {reason} |".format(
                action=rule.action.value,
                sources=", ".join(sorted(rule.sources)),
                target=rule.target.value if rule.target else "(stays)",
                guards=", ".join(g.name for g in rule.guards) or "—",
                docs=", ".join(d.value for d in rule.documents) or "—",
                reason="required" if rule.needs_reason else "—",
            )
        )
    return "\n".join(lines) + "\n"
