"""The API schema's description of the errors `core.api.exception_handler` answers. Apart from
`core.api` because drf-spectacular's schema class imports DRF's generic views, which import the
pagination class named in the settings, which is in `core.api`."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, AllowAny


class ApiErrorSerializer(serializers.Serializer):
    """Every error answer of the API (`exception_handler`), whatever raised it."""

    detail = serializers.CharField(help_text="The message for the user (Chinese).")
    code = serializers.CharField(
        help_text="ValidationFailed, NotAuthenticated, PermissionDenied, NotFound, Conflict…"
    )
    field = serializers.CharField(required=False, help_text="The field or parameter at fault.")
    errors = serializers.JSONField(required=False, help_text="Every message, by field (400).")


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, with the error answers every operation can give declared
    (in `ApiErrorSerializer`'s shape) where its view does not declare them itself: 400 when
    it takes a body or query parameters, 401 when it reads credentials (a wrong or expired
    token is refused even where none is needed), 403 unless anyone may call it, 404 when its
    path names an object, 415 when it takes a body (sent in a media type it does not read).
    A client generated from the schema then expects what it gets."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        where = {parameter["in"] for parameter in operation.get("parameters", [])}
        errors = {
            "400": (
                "requestBody" in operation or "query" in where,
                "Invalid data or query, with the field at fault.",
            ),
            "401": (bool(self.view.get_authenticators()), "Not logged in, or a wrong token."),
            "403": (not self._open_to_all(), "The caller may not do this."),
            "404": ("path" in where, "No such object in the caller's area."),
            "415": ("requestBody" in operation, "A body in a media type the API does not read."),
        }
        responses = operation["responses"]
        for code, (applies, description) in errors.items():
            if applies and code not in responses:
                responses[code] = {
                    "content": {
                        "application/json": {"schema": self._error_component().ref},
                    },
                    "description": description,
                }
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _open_to_all(self) -> bool:
        """AllowAny, or a permission that says it lets everyone read (`reads_open`)."""
        reading = self.method in SAFE_METHODS
        return all(
            isinstance(permission, AllowAny)
            or (reading and getattr(permission, "reads_open", False))
            for permission in self.view.get_permissions()
        )

    def _error_component(self):
        return self.resolve_serializer(ApiErrorSerializer, "response")
