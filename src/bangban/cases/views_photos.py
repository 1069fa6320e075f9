"""The material photos of an online application, for the staff who see the case."""

from django.http import FileResponse, HttpRequest

from bangban.cases import selectors, services
from bangban.org.views import staff_required


@staff_required
def case_photo(request: HttpRequest, pk: int, photo_pk: int) -> FileResponse:
    photo = selectors.case_photo_get(actor=request.user, pk=pk, photo_pk=photo_pk)
    photo = services.photo_open(
        actor=request.user, photo=photo, ip_address=request.META.get("REMOTE_ADDR")
    )
    response = FileResponse(
        photo.file.open("rb"), content_type=photo.content_type, filename=photo.original_name
    )
    # Personal data: no shared cache may keep a copy.
    response["Cache-Control"] = "private, no-store"
    return response
