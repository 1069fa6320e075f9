"""The workbench (工作台): the queues, the case page, one form page per workflow action, and
the user's notifications. Views are thin: they read through the selectors, parse a form, call
one service and render; the services decide what is allowed."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from bangban.cases import selectors, services, workflow
from bangban.cases.deadlines import Warning, deadlines_for
from bangban.cases.forms import (
    ActionForm,
    AgreementForm,
    AssignForm,
    CaseFilterForm,
    CompleteForm,
    DecideForm,
    DeliverForm,
    HandoverForm,
    MessageForm,
    NoticeForm,
    PlainForm,
    PlanForm,
    ProgressForm,
    RateForm,
    ReasonForm,
    TaskForm,
    TerminateForm,
    ToleratedAcceptForm,
    TransferForm,
    UrgeForm,
)
from bangban.cases.models import Case, CaseLog, Kind, Plan, Task
from bangban.cases.templatetags.deadlines import deadline_cell
from bangban.cases.workflow import Action, State
from bangban.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from bangban.core.masking import mask_id_number, mask_phone
from bangban.org.models import Role
from bangban.org.scoping import MANAGING_ROLES, in_scope
from bangban.org.views import staff_required

PAGE_SIZE = 50
# The id of the element the filter form and the pager swap (htmx), and the partial they get.
TABLE_ID = "case-table"

QUEUE_LABELS = {
    "mine": gettext_lazy("My cases"),
    "unassigned": gettext_lazy("Unassigned in my unit"),
    "tasks": gettext_lazy("My department's tasks"),
    "due_soon": gettext_lazy("Due soon"),
    "overdue": gettext_lazy("Overdue"),
    "open": gettext_lazy("Open cases"),
    "all": gettext_lazy("All cases"),
}


@dataclass(frozen=True)
class ActionPage:
    form: type[ActionForm]
    service: Callable[..., Any]
    # Whether the service takes `occurred_at` and `back_entry_reason` (补录).
    back_entry: bool = True


ACTION_PAGES: dict[Action, ActionPage] = {
    Action.ISSUE_NOTICE: ActionPage(NoticeForm, services.notice_issue),
    Action.RECEIVE_SUPPLEMENT: ActionPage(PlainForm, services.supplement_receive),
    Action.ACCEPT: ActionPage(PlainForm, services.case_accept),
    Action.ACCEPT_TOLERATED: ActionPage(ToleratedAcceptForm, services.case_accept),
    Action.REFUSE: ActionPage(ReasonForm, services.case_refuse),
    Action.SIGN_AGREEMENT: ActionPage(AgreementForm, services.agreement_sign),
    Action.START: ActionPage(PlainForm, services.case_start),
    Action.ASSIGN: ActionPage(AssignForm, services.case_assign, back_entry=False),
    Action.RECORD_HANDOVER: ActionPage(HandoverForm, services.handover_record),
    Action.SUBMIT_TASK: ActionPage(TaskForm, services.task_submit),
    Action.DECIDE_TASK: ActionPage(DecideForm, services.task_decide),
    Action.URGE: ActionPage(UrgeForm, services.task_urge, back_entry=False),
    Action.SUPERVISE: ActionPage(ReasonForm, services.case_supervise, back_entry=False),
    Action.PLAN: ActionPage(PlanForm, services.plan_agree),
    Action.PROGRESS: ActionPage(ProgressForm, services.milestone_done),
    Action.REMOTE_CONSULT: ActionPage(MessageForm, services.message_post, back_entry=False),
    Action.TRANSFER: ActionPage(TransferForm, services.case_transfer, back_entry=False),
    Action.ESCALATE: ActionPage(ReasonForm, services.case_escalate, back_entry=False),
    Action.PAUSE: ActionPage(ReasonForm, services.case_pause),
    Action.RESUME: ActionPage(PlainForm, services.case_resume),
    Action.COMPLETE: ActionPage(CompleteForm, services.case_complete),
    Action.DELIVER: ActionPage(DeliverForm, services.case_deliver),
    Action.TERMINATE: ActionPage(TerminateForm, services.case_terminate),
    Action.RATE: ActionPage(RateForm, services.rating_record),
    Action.ARCHIVE: ActionPage(PlainForm, services.case_archive, back_entry=False),
}
# Timeline lines that are not workflow actions.
LOG_LABELS = {"register": gettext_lazy("Registration")}


# Who may do what -------------------------------------------------------------------------


def _decides(user, task: Task) -> bool:
    """A liaison decides their own department's tasks; the case's workers record any decision
    from the paper."""
    if user.role == Role.LIAISON:
        return in_scope(user, task.department)
    return services.works_on(user, task.case)


def _workflow_refusal(case: workflow.CaseFacts, action: Action) -> str | None:
    """Why the workflow refuses the action now, or None. The archive page opens whenever the
    state allows archiving: it lists what the archive still lacks (its guard) itself."""
    if action == Action.ARCHIVE and case.state in workflow.RULE_OF[action].sources:
        return None
    refused = workflow.refusal(case, action)
    return " ".join(refused.reasons) if refused else None


def _offered(
    user, case: Case, tasks: list[Task], plan: Plan | None, facts: workflow.CaseFacts | None = None
) -> list[Action]:
    """The buttons of the case page: the actions the workflow allows now, that this user may
    take, and that have something to act on (an open task, an open milestone). `facts`: what
    the guards read, when the caller has it without a query per guard."""
    facts = facts if facts is not None else case
    open_tasks = [t for t in tasks if not t.decision]
    targets: dict[Action, list[Task]] = {
        Action.SUBMIT_TASK: [t for t in open_tasks if t.submitted_at is None],
        Action.DECIDE_TASK: [t for t in open_tasks if _decides(user, t)],
        Action.URGE: open_tasks,
    }
    open_milestones = plan is not None and any(m.done_on is None for m in plan.milestones.all())
    actions = []
    for rule in workflow.RULES:
        action = rule.action
        if action in targets and not targets[action]:
            continue
        if action == Action.PROGRESS and not open_milestones:
            continue
        if services.permission_refusal(user, case, action, open_tasks) or _workflow_refusal(
            facts, action
        ):
            continue
        actions.append(action)
    return actions


# Deadlines in lists ----------------------------------------------------------------------


# The queues ------------------------------------------------------------------------------


def _url_of_pk(name: str, *rest: str) -> Callable[[int], str]:
    """The URL `name` takes for any case: reversed once, not once per row (reverse costs about
    as much as writing the rest of a row)."""
    marker = "9876543210"
    head, found, tail = reverse(name, args=[int(marker), *rest]).partition(marker)
    if not found or marker in tail:
        return lambda pk: reverse(name, args=[pk, *rest])
    return lambda pk: f"{head}{pk}{tail}"


def _case_rows(cases: list[dict[str, Any]], today: date, *, dispatch: bool) -> list[dict[str, Any]]:
    """The display values of a queue page's rows, worked out here once: the 50-row table then
    only writes them out, several times cheaper than resolving attributes, filters and URL
    tags per cell in the template."""
    found = deadlines_for((c["due_date"] for c in cases if c["state"] in workflow.OPEN), today)
    states = {value: str(label) for value, label in State.choices}
    kinds = {value: str(label) for value, label in Kind.choices}
    detail_url, assign_url = _url_of_pk("cases:detail"), _url_of_pk("cases:act", "assign")
    rows = []
    for case in cases:
        pk, due = case["pk"], case["due_date"]
        deadline = found.get(due) if case["state"] in workflow.OPEN else None
        rows.append(
            {
                "pk": str(pk),  # a string: the template localizes numbers
                "url": detail_url(pk),
                "number": case["number"],
                "green": case["special_group"],
                "applicant": case["applicant_name"],
                "items": "、".join(case["items"]),
                "kind": kinds.get(case["kind"], case["kind"]),
                "state": states.get(case["state"], case["state"]),
                "agent": case["agent__name"] or "—",
                "due": due.isoformat() if due else "—",
                "deadline": deadline_cell(deadline),
                "overdue": deadline is not None and deadline.warning == Warning.OVERDUE,
                "dispatch": assign_url(pk) if dispatch else "",
            }
        )
    return rows


def _default_queue(user) -> str:
    if user.role == Role.LIAISON:
        return "tasks"
    if user.role == Role.AGENT:
        return "mine"
    return "all"


@staff_required
def workbench(request: HttpRequest) -> HttpResponse:
    user = request.user
    queue = request.GET.get("queue") or _default_queue(user)
    if queue not in selectors.QUEUES:
        raise NotFound(_("There is no such queue."))
    form = CaseFilterForm(request.GET)
    filters = form.filters() if form.is_valid() else selectors.CaseFilters()
    today = timezone.localdate()
    can_dispatch = queue == "unassigned" and user.role in MANAGING_ROLES
    if queue == "tasks":
        tasks = selectors.tasks_for_department(actor=user)
        if filters != selectors.CaseFilters():
            tasks = tasks.filter(
                case__in=selectors.cases_filtered(Case.objects.all(), filters).values("pk")
            )
        page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
        found = deadlines_for((t.due_date for t in page.object_list), today)
        for task in page.object_list:
            task.deadline = found.get(task.due_date)
            task.decidable = task.case.state == State.IN_PROGRESS and _decides(user, task)
    else:
        cases = selectors.case_queue(actor=user, queue=queue, filters=filters)
        page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = selectors.queue_rows(page.object_list)
        page.object_list = _case_rows(rows, today, dispatch=can_dispatch)
    # htmx (the filter form, the pager) swaps the table alone; a history restore wants it all.
    partial = bool(
        request.htmx
        and request.htmx.target == TABLE_ID
        and not request.htmx.history_restore_request
    )
    context = {
        "queue": queue,
        "queues": [(key, QUEUE_LABELS[key]) for key in selectors.QUEUES],
        "form": form,
        "page": page,
        "can_dispatch": can_dispatch,
        "can_register": services.may_register(user),
        "table_id": TABLE_ID,
        "partial": partial,
    }
    response = render(
        request, "cases/_queue_table.html" if partial else "cases/workbench.html", context
    )
    # The same address answers with the table alone to htmx: caches must keep both apart.
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


# The case page ---------------------------------------------------------------------------


def _documents(timeline: Iterable[CaseLog]) -> list[workflow.Document]:
    """The forms the actions taken so far have produced, in order, each once."""
    documents: list[workflow.Document] = []
    for entry in timeline:
        if entry.action in Action.values:
            for document in workflow.RULE_OF[Action(entry.action)].documents:
                if document not in documents:
                    documents.append(document)
    return documents


@staff_required
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    data = selectors.case_detail(actor=user, pk=pk)
    case: Case = data["case"]
    for task in data["tasks"]:
        task.case = case  # who may decide reads the case's unit: no query per task
    actions = _offered(user, case, data["tasks"], data["plan"], selectors.CasePage(data))
    for entry in data["timeline"]:
        entry.label = (
            Action(entry.action).label
            if entry.action in Action.values
            else LOG_LABELS.get(entry.action, entry.action)
        )
    for task in data["tasks"]:
        task.can_submit = (
            Action.SUBMIT_TASK in actions and not task.decision and task.submitted_at is None
        )
        task.can_decide = (
            Action.DECIDE_TASK in actions and not task.decision and _decides(user, task)
        )
        task.can_urge = Action.URGE in actions and not task.decision
    # The thread is renamed: "messages" is the flash messages' name in every template.
    thread = data.pop("messages")
    return render(
        request,
        "cases/detail.html",
        {
            **data,
            "thread": thread,
            "actions": actions,
            "documents": _documents(data["timeline"]),
            # The action just taken (after its redirect): the print list marks its forms.
            "after": request.GET.get("after", ""),
            "masked_id_number": mask_id_number(case.id_number),
            "masked_phone": mask_phone(case.phone),
            "today": timezone.localdate(),
            "can_track": services.works_on(user, case) and case.state != State.ARCHIVED,
            "can_resolve": services.works_on(user, case)
            and user.role in MANAGING_ROLES
            and case.state != State.ARCHIVED,
        },
    )


@staff_required
@require_POST
def deficiency_receive(request: HttpRequest, pk: int, deficiency_pk: int) -> HttpResponse:
    """A tolerated deficiency came in today (容缺材料补齐)."""
    case = selectors.case_get(actor=request.user, pk=pk)
    deficiency = get_object_or_404(case.deficiencies.select_related("case__unit"), pk=deficiency_pk)
    services.deficiency_receive(actor=request.user, deficiency=deficiency)
    messages.success(request, _("Recorded: the material has been received."))
    return redirect("cases:detail", pk=case.pk)


@staff_required
@require_POST
def incident_resolve(request: HttpRequest, pk: int, incident_pk: int) -> HttpResponse:
    """A manager closes a lost-material incident with what was done."""
    case = selectors.case_get(actor=request.user, pk=pk)
    incident = get_object_or_404(case.incidents.select_related("case__unit"), pk=incident_pk)
    try:
        services.incident_resolve(
            actor=request.user, incident=incident, resolution=request.POST.get("resolution", "")
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The incident is closed."))
    return redirect("cases:detail", pk=case.pk)


# The action pages ------------------------------------------------------------------------


def _initial(request: HttpRequest) -> dict[str, str]:
    """A task or a milestone chosen by the button that opened the form."""
    return {key: request.GET[key] for key in ("task", "milestone") if request.GET.get(key)}


@staff_required
@require_http_methods(["GET", "POST"])
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in Action.values:
        raise NotFound(_("There is no such action."))
    chosen = Action(action)
    page = ACTION_PAGES[chosen]
    user = request.user
    case = selectors.case_get(actor=user, pk=pk)
    tasks = list(case.tasks.filter(decision="").select_related("department"))
    refused = services.permission_refusal(user, case, chosen, tasks)
    if refused:
        raise PermissionDenied(refused)
    blocked = _workflow_refusal(case, chosen)
    # A completed case's archive page lists what it still lacks (the delivery, the rating).
    if blocked and not (chosen == Action.ARCHIVE and case.state == State.COMPLETED):
        context = {"case": case, "action": chosen, "message": blocked}
        return render(request, "cases/act_refused.html", context, status=409)
    data = request.POST if request.method == "POST" else None
    form = page.form(
        data, case=case, user=user, back_entry=page.back_entry, initial=_initial(request)
    )
    conflict = ""
    if request.method == "POST" and form.is_valid():
        try:
            page.service(actor=user, case=case, **form.arguments())
        except ValidationFailed as exc:
            form.show_error(exc)
        except Conflict as exc:
            conflict = exc.message
        else:
            messages.success(request, _("Recorded: %(action)s.") % {"action": chosen.label})
            after = f"?after={chosen.value}" if workflow.RULE_OF[chosen].documents else ""
            return redirect(reverse("cases:detail", args=[case.pk]) + after)
    context = {
        "case": case,
        "action": chosen,
        # The rule of the procedure this action implements (in-app help).
        "rule": workflow.RULE_OF[chosen].rule,
        "form": form,
        "conflict": conflict,
        "archive_missing": case.archive_missing if chosen == Action.ARCHIVE else (),
    }
    return render(request, "cases/act.html", context, status=409 if conflict else 200)


# Notifications ---------------------------------------------------------------------------


@staff_required
def notifications(request: HttpRequest) -> HttpResponse:
    unread = selectors.notifications_unread(actor=request.user)
    page = Paginator(unread, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/notifications.html", {"page": page})


@staff_required
def notifications_unread(request: HttpRequest) -> JsonResponse:
    """The navbar's count of unread notifications (static/js/unread.js asks after the page)."""
    return JsonResponse({"unread": selectors.notifications_unread(actor=request.user).count()})


@staff_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    services.notifications_read(actor=request.user)
    return redirect("cases:notifications")
