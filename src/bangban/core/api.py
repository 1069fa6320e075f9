"""API plumbing shared by every app: pagination and the one error handler."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from bangban.core.errors import ApplicationError


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc, context):
    """Domain errors become 400/403/404/409 with a Chinese message in `detail`."""
    if isinstance(exc, ApplicationError):
        body = {"detail": exc.message, "code": type(exc).__name__}
        if exc.field:
            body["field"] = exc.field
        body.update(exc.extra)
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(_("You do not have permission to do this."))
    elif isinstance(exc, exceptions.ParseError):
        # DRF's own text ("JSON parse error - …") is English and names parser internals.
        exc = exceptions.ParseError(_("The request body is not valid JSON."))
    elif isinstance(exc, DjangoValidationError):
        return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
