"""Domain errors carry their HTTP status; one handler renders them as problem details or as an HTML page."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        field_errors: dict[str, str] | None = None,
        keep_changes: bool = False,
        **extra: Any,
    ):
        self.detail = detail or self.title
        self.field_errors = field_errors or {}
        # Rare: the use case failed but what it wrote must still commit (a failed log-in is counted).
        self.keep_changes = keep_changes
        self.extra = extra
        super().__init__(self.detail)


class NotAuthenticated(AppError):
    status = 401
    title = "Sign-in required"
    type_slug = "not-authenticated"


class PermissionDenied(AppError):
    status = 403
    title = "Not allowed"
    type_slug = "forbidden"


class NotFound(AppError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(AppError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class InvalidTransition(Conflict):
    title = "Not possible in the current state"
    type_slug = "invalid-transition"


class ValidationFailed(AppError):
    """A rule about the submitted values (not their shape) was broken; carries field errors for forms."""

    status = 422
    title = "Some values need attention"
    type_slug = "validation"


class TooManyAttempts(AppError):
    status = 429
    title = "Too many attempts"
    type_slug = "too-many-attempts"


class PayloadTooLarge(AppError):
    status = 413
    title = "Too large"
    type_slug = "too-large"


class ServiceUnavailable(AppError):
    status = 503
    title = "Unavailable"
    type_slug = "unavailable"
