"""The staff outbox page: every SMS of the actor's area with its state, and re-sending the
failed ones."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from bangban.core.errors import Conflict, PermissionDenied
from bangban.notify import selectors, services
from bangban.notify.models import Kind, OutboxMessage
from bangban.org.views import staff_required

PAGE_SIZE = 50


def _require_reader(actor) -> None:
    if not (actor.is_superuser or actor.role in selectors.OUTBOX_READERS):
        raise PermissionDenied(_("Only managers and administrators see the outbox."))


def _shown_text(message: OutboxMessage) -> str:
    # A login code is a password while it lasts: staff see that one was sent, not the code.
    if message.kind == Kind.SMS_CODE:
        return _("Verification code (hidden)")
    return message.text


@staff_required
@require_GET
def outbox_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request.user)
    queryset = selectors.outbox_visible(actor=request.user)
    state = request.GET.get("state", "")
    kind = request.GET.get("kind", "")
    if state in OutboxMessage.State.values:
        queryset = queryset.filter(state=state)
    else:
        state = ""
    if kind in Kind.values:
        queryset = queryset.filter(kind=kind)
    else:
        kind = ""
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "message": message,
            "text": _shown_text(message),
            "may_resend": message.state == OutboxMessage.State.DEAD
            and services.may_resend(request.user, message),
        }
        for message in page
    ]
    return render(
        request,
        "notify/outbox.html",
        {
            "page": page,
            "rows": rows,
            "state": state,
            "kind": kind,
            "states": OutboxMessage.State.choices,
            "kinds": Kind.choices,
            "filters": urlencode({k: v for k, v in {"state": state, "kind": kind}.items() if v}),
        },
    )


@staff_required
@require_POST
def outbox_resend_view(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(selectors.outbox_visible(actor=request.user), pk=pk)
    try:
        services.outbox_resend(actor=request.user, message=message)
    except Conflict as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(
            request,
            _("The message to %(phone)s will be sent again.") % {"phone": message.phone_masked},
        )
    # Back to the list with its filters; only those keys are kept from what the form sent, so
    # the redirect can never lead elsewhere.
    back = QueryDict(request.POST.get("back", ""))
    keep = {key: back[key] for key in ("state", "kind", "page") if back.get(key)}
    return redirect(reverse("notify:outbox") + (f"?{urlencode(keep)}" if keep else ""))
