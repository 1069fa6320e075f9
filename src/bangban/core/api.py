"""API plumbing shared by every app: pagination and the one error handler (the schema's
description of its answers is in `core.api_schema`)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Model, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from bangban.core.errors import ApplicationError, ValidationFailed


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound:
            # DRF answers a page that is not a number, or past the last, with 404, as if the
            # list did not exist: it is the query that is wrong.
            raise ValidationFailed(
                _("There is no such page: give page as a whole number from 1 to the last page."),
                field=self.page_query_param,
            ) from None


@dataclass(frozen=True)
class Key:
    """One column of a keyset ordering. A nullable column sorts its NULLs last."""

    field: str
    descending: bool = False


class KeysetPagination(CursorPagination):
    """Pages over a list's full ordering from the last row seen: nothing is skipped (no
    OFFSET, whose rows are read and dropped) and nothing is counted (a COUNT of the filtered
    set is most of a page-number list's time over a million rows). The position is a plain
    condition on the ordering's columns, which the database matches on the index that serves
    the ordering, so a later page costs about what the first one does. DRF's own
    CursorPagination keys on the first column only and skips ties by offset, which a boolean
    first column (the green channel) turns into offsets over most of the table; here every
    column of the ordering is in the position, ending with the primary key, so ties never need
    an offset.

    The cursor is signed (`django.core.signing`, salted with the ordering): a client cannot
    forge a position, and a cursor of another list is refused rather than misread. It holds a
    position, not a snapshot: rows added or changed while a client pages are seen or not
    according to where they now sort, and no row is returned twice or skipped unless its own
    sort key changed meanwhile."""

    ordering: Sequence[Key] = ()
    page_size_query_param = "page_size"
    max_page_size = 500

    # --- the position ---------------------------------------------------------------------

    def _fields(self, model: type[Model]) -> list[tuple[Key, Any]]:
        return [(key, model._meta.get_field(key.field)) for key in self.ordering]

    def _order(self, forward: bool) -> list[OrderBy]:
        """The ordering in the direction of travel. Only nullable columns name their NULLs'
        place, so that the others keep the plain form their indexes are built in."""
        order = []
        for key, field in self.fields:
            descending = key.descending == forward
            nulls = {"nulls_last": True} if forward else {"nulls_first": True}
            expression = F(key.field).desc if descending else F(key.field).asc
            order.append(expression(**nulls) if field.null else expression())
        return order

    @staticmethod
    def _past(key: Key, field: Any, value: Any, forward: bool) -> Q | None:
        """The rows strictly past `value` in this column, in the direction of travel; None when
        there are none (after a NULL going forward, NULLs being last)."""
        if value is None:
            return None if forward else Q(**{f"{key.field}__isnull": False})
        lookup = "lt" if key.descending == forward else "gt"
        past = Q(**{f"{key.field}__{lookup}": value})
        if forward and field.null:
            past |= Q(**{f"{key.field}__isnull": True})
        return past

    def _beyond(self, position: list[Any], forward: bool) -> Q:
        """The rows after `position` (before it going backward), nested column by column:
        past the first column, or equal on it and past the rest."""
        condition: Q | None = None
        for (key, field), value in reversed(list(zip(self.fields, position, strict=True))):
            same = Q(**{f"{key.field}__isnull": True}) if value is None else Q(**{key.field: value})
            past = self._past(key, field, value, forward)
            if condition is None:
                condition = past  # the last column is the primary key: never NULL
            elif past is None:
                condition = same & condition
            else:
                condition = past | (same & condition)
        assert condition is not None
        return condition

    # --- the cursor -----------------------------------------------------------------------

    def _salt(self) -> str:
        order = ",".join(("-" if key.descending else "") + key.field for key in self.ordering)
        return f"bangban.core.api.KeysetPagination:{order}"

    def _encode(self, row: Model | dict[str, Any], forward: bool) -> str:
        """The cursor at `row`: a model instance, or the dict of a `values()` list that holds
        the ordering's fields under their names."""
        if isinstance(row, dict):
            values = [row[key.field] for key, _field in self.fields]
        else:
            values = [getattr(row, field.attname) for _key, field in self.fields]
        position = [self._json(value) for value in values]
        return signing.dumps({"p": position, "f": forward}, salt=self._salt())

    @staticmethod
    def _json(value: Any) -> Any:
        return value.isoformat() if hasattr(value, "isoformat") else value

    def _decode(self, request: Request) -> tuple[list[Any], bool] | None:
        token = request.query_params.get(self.cursor_query_param)
        if not token:
            return None
        try:
            cursor = signing.loads(token, salt=self._salt())
            position = [
                None if value is None else field.to_python(value)
                for (_key, field), value in zip(self.fields, cursor["p"], strict=True)
            ]
            return position, bool(cursor["f"])
        except (signing.BadSignature, DjangoValidationError, KeyError, TypeError, ValueError):
            raise ValidationFailed(
                _(
                    "This page link is not valid: it was altered or belongs to another list. "
                    "Start again from the first page."
                ),
                field=self.cursor_query_param,
            ) from None

    # --- the page -------------------------------------------------------------------------

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.fields = self._fields(queryset.model)
        cursor = self._decode(request)
        position, forward = cursor if cursor else (None, True)
        if position is not None:
            queryset = queryset.filter(self._beyond(position, forward))
        # One row more than the page says whether there is a page beyond it.
        rows = list(queryset.order_by(*self._order(forward))[: self.page_size + 1])
        beyond = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if not forward:
            rows.reverse()
        self.page = rows
        # Going forward, a page reached by a cursor has one before it; going backward, one
        # after it (the page the cursor was taken from).
        self.has_next = beyond if forward else True
        self.has_previous = position is not None if forward else beyond
        return rows

    def _link(self, row: Model | dict[str, Any], forward: bool) -> str:
        return replace_query_param(
            self.base_url, self.cursor_query_param, self._encode(row, forward)
        )

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        if not self.page:
            # Nothing before the cursor any more: what follows starts at the first page.
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self._link(self.page[-1], True)

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if not self.page:
            # Past the end (the rows after the cursor went away): back to the first page.
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self._link(self.page[0], False)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        for link, text in (
            ("next", "The next page; null on the last."),
            ("previous", "The page before; null on the first."),
        ):
            paginated["properties"][link].pop("example", None)
            paginated["properties"][link]["description"] = text
        paginated["required"] = ["next", "previous", "results"]
        return paginated

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = (
                    "The page to read: the `next` or `previous` link's cursor, as given "
                    "(signed; an altered cursor is refused with 400). The first page without it."
                )
            elif parameter["name"] == self.page_size_query_param:
                parameter["description"] = f"Rows per page, at most {self.max_page_size}."
        return parameters


def _first_message(errors: Any) -> tuple[str | None, str]:
    """The first message in DRF's nested errors and the top-level field it belongs to."""
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            _field, message = _first_message(value)
            if message:
                return (None if key == "non_field_errors" else str(key)), message
        return None, ""
    if isinstance(errors, list):
        for value in errors:
            field, message = _first_message(value)
            if message:
                return field, message
        return None, ""
    return None, str(errors)


def exception_handler(exc, context):
    """Domain errors become 400/403/404/409 with a Chinese message in `detail`; every error,
    the framework's own too (a body that is not JSON, a missing token, an unknown page), gets
    the same shape: `detail` (one message), `code`, and for invalid data `field` and `errors`."""
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
        exc = exceptions.ValidationError(exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        field, message = _first_message(exc.detail)
        body = {"detail": message, "code": ValidationFailed.__name__, "errors": response.data}
        if field:
            body["field"] = field
    else:
        body = {"detail": str(exc.detail), "code": type(exc).__name__}
    response.data = body
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 404 of an address no route matches (`handler404`): in the API's shape under the
    API (`/cases/abc/` is not a case), the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found."), "code": "NotFound"}, status=404)
    return page_not_found(request, exception)
