"""The point's bookings of a day (预约), booked by citizens on the portal."""

from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bangban.cases.models import Booking
from bangban.cases.selectors import bookings_for_unit
from bangban.cases.services import booking_mark
from bangban.core.errors import NotFound
from bangban.core.masking import mask_phone
from bangban.org.views import staff_required


@staff_required
def bookings(request: HttpRequest) -> HttpResponse:
    try:
        day = date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    rows = list(bookings_for_unit(actor=request.user, day=day)) if request.user.unit_id else []
    for row in rows:
        row.phone_masked = mask_phone(row.phone)
    return render(request, "cases/bookings.html", {"day": day, "bookings": rows})


@staff_required
@require_POST
def booking_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Served, or cancelled: the point's staff close a booking of their area."""
    booking = Booking.objects.select_related("unit").filter(pk=pk).first()
    if booking is None:
        raise NotFound(_("There is no such booking."))
    booking_mark(actor=request.user, booking=booking, state=request.POST.get("state", ""))
    messages.success(
        request, _("The booking is closed: %(state)s.") % {"state": booking.get_state_display()}
    )
    day = timezone.localtime(booking.start).date().isoformat()
    return redirect(f"{reverse('cases:bookings')}?day={day}")
