"""Domain errors: every refusal the services raise, each naming the field and the reason.

The API turns them into one JSON shape (see core/api_errors.py); messages are lazy gettext
strings so they come out in the caller's language.
"""

from dataclasses import dataclass


@dataclass
class FieldError:
    field: str
    reason: str
    code: str = "invalid"


class DomainError(Exception):
    """Base of all refusals a user can cause."""

    status = 400
    code = "bad_request"

    def __init__(self, message, *, fields: list[FieldError] | None = None, code: str | None = None,
                 extra: dict | None = None):
        super().__init__(str(message))
        self.message = message
        self.fields = fields or []
        # Facts that help the caller recover, e.g. a ticket's current state and version.
        self.extra = extra or {}
        if code:
            self.code = code


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"

    @classmethod
    def on(cls, field_name: str, reason, code: str = "invalid") -> "ValidationFailed":
        return cls(reason, fields=[FieldError(field_name, reason, code)])


class NotFound(DomainError):
    # Also used for objects the viewer may not see: their existence is not disclosed.
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """Someone else changed the ticket first, or its state no longer allows the action."""

    status = 409
    code = "conflict"
