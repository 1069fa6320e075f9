"""The one family of domain errors. Services raise these; `core.api` and `core.middleware` map
them to HTTP status codes in one place. Messages are for the user and are translated."""


class ApplicationError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        self.extra = extra or {}


class ValidationFailed(ApplicationError):
    status_code = 400


class PermissionDenied(ApplicationError):
    status_code = 403


class NotFound(ApplicationError):
    status_code = 404


class Conflict(ApplicationError):
    status_code = 409


class TooManyRequests(ApplicationError):
    """A public endpoint's abuse limit was reached (SMS codes, form posts)."""

    status_code = 429
