"""Staff pages of complaints and "办不成事" tickets: the lists, a ticket, its answer."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.core.errors import Conflict, PermissionDenied, ValidationFailed
from bangban.core.masking import mask_name, mask_phone
from bangban.feedback import selectors, services
from bangban.feedback.forms import AnswerForm
from bangban.feedback.models import State, Ticket
from bangban.feedback.views_followup import investigation_context
from bangban.org.views import staff_required

KINDS = ("complaints", "obstacles")


def _require_reader(user) -> None:
    if not selectors.can_read(user):
        raise PermissionDenied(
            _("Complaints are handled by point managers, the centre and supervisors.")
        )


@staff_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request.user)
    kind = request.GET.get("kind", "complaints")
    if kind not in KINDS:
        kind = "complaints"
    state = request.GET.get("state", "")
    if kind == "complaints":
        tickets = selectors.complaints_visible(actor=request.user, state=state)
    else:
        tickets = selectors.obstacles_visible(actor=request.user, state=state)
    page = Paginator(tickets, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "feedback/list.html",
        {
            "kind": kind,
            "state": state if state in State.values else "",
            "states": State.choices,
            "page": page,
            "today": timezone.localdate(),
        },
    )


def _detail(
    request: HttpRequest, ticket: Ticket, *, kind: str, answer_service, extra: dict | None = None
) -> HttpResponse:
    user = request.user
    form = AnswerForm(request.POST or None)
    can_answer = not ticket.is_answered and (
        user.role in selectors.ANSWERING_ROLES or user.is_superuser
    )
    status = 200
    if request.method == "POST":
        if not can_answer:
            raise PermissionDenied(_("You cannot answer this."))
        if form.is_valid():
            try:
                answer_service(actor=user, ticket=ticket, answer=form.cleaned_data["answer"])
            except ValidationFailed as exc:
                form.add_error("answer" if exc.field == "answer" else None, exc.message)
            except Conflict as exc:
                messages.warning(request, exc.message)
                return redirect(request.path)
            else:
                messages.success(request, _("The answer has been saved."))
                return redirect(request.path)
        status = 400
    due_note = ""
    if kind == "obstacles" and ticket.due_date is None:
        due_note = services.reply_due(timezone.localdate(ticket.created_at)).note
    return render(
        request,
        "feedback/detail.html",
        {
            "ticket": ticket,
            "kind": kind,
            "form": form,
            "can_answer": can_answer,
            "masked_name": mask_name(ticket.contact_name),
            "masked_phone": mask_phone(ticket.contact_phone),
            "due_note": due_note,
            "today": timezone.localdate(),
            **(extra or {}),
        },
        status=status,
    )


@staff_required
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_reader(request.user)
    complaint = selectors.complaint_get(actor=request.user, pk=pk)
    return _detail(
        request,
        complaint,
        kind="complaints",
        answer_service=lambda *, actor, ticket, answer: services.complaint_answer(
            actor=actor, complaint=ticket, answer=answer
        ),
        extra=investigation_context(request.user, complaint),
    )


@staff_required
def obstacle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_reader(request.user)
    obstacle = selectors.obstacle_get(actor=request.user, pk=pk)
    return _detail(
        request,
        obstacle,
        kind="obstacles",
        answer_service=lambda *, actor, ticket, answer: services.obstacle_reply(
            actor=actor, obstacle=ticket, answer=answer
        ),
    )
