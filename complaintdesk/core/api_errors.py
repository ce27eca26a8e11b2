"""One JSON shape for every API error, in the caller's language:

    {"error": {"code": "...", "message": "...", "fields": [{"field": "...", "reason": "...", "code": "..."}], ...}}
"""

import logging

from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from complaintdesk.core.errors import DomainError

log = logging.getLogger(__name__)


def _body(code: str, message, fields=None, **extra) -> dict:
    return {"error": {"code": code, "message": str(message), "fields": fields or [], **extra}}


def _pydantic_reason(err: dict) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind in ("string_too_long",):
        return _("At most %(n)s characters.") % {"n": ctx.get("max_length")}
    if kind in ("string_too_short",):
        return _("At least %(n)s characters.") % {"n": ctx.get("min_length")}
    if kind in ("string_type",):
        return _("Enter text.")
    if kind.startswith("int_") or kind in ("int_parsing",):
        return _("Enter a whole number.")
    if kind.startswith("float_") or kind.startswith("decimal_"):
        return _("Enter a number.")
    if kind.startswith("bool_"):
        return _("Enter true or false.")
    if kind.startswith("datetime_") or kind.startswith("timezone_"):
        return _("Enter a date and time such as 2026-11-23T09:30:00+08:00.")
    if kind.startswith("date_"):
        return _("Enter a date as YYYY-MM-DD.")
    if kind in ("enum", "literal_error"):
        return _("Choose one of: %(values)s.") % {"values": ctx.get("expected", "")}
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("Give an object.")
    if kind in ("list_type", "tuple_type"):
        return _("Give a list.")
    if kind == "json_invalid":
        return _("The request body is not valid JSON.")
    if kind == "nul_character":
        return _("Text must not contain NUL characters.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind in ("greater_than", "greater_than_equal"):
        return _("Must be at least %(n)s.") % {"n": ctx.get("ge", ctx.get("gt"))}
    if kind in ("less_than", "less_than_equal"):
        return _("Must be at most %(n)s.") % {"n": ctx.get("le", ctx.get("lt"))}
    return _("This value is not valid.")


def _field_name(loc) -> str:
    parts = [str(p) for p in loc]
    # ninja prefixes the source ("body", "query", "path", "header") and the parameter name.
    if parts and parts[0] in ("body", "query", "path", "header", "form", "file"):
        parts = parts[1:]
        if len(parts) > 1 and parts[0] in ("payload", "filters", "data"):
            parts = parts[1:]
    return ".".join(parts) or "body"


def committed_answer(api, request):
    """The answer after a committed write whose read-back failed, else None.

    An endpoint that has committed a write sets `request.committed = (status, build)`
    before it reads the result back: from then on an error (the read-back, the response's
    validation) must not be answered "nothing was changed". `build()` makes the body from
    what was written, without touching the database."""
    committed = getattr(request, "committed", None)
    if committed is None:
        return None
    log.exception("the write was committed; answering from what was written")
    status, build = committed
    body = build()
    response = api.create_response(request, body, status=status)
    response["Location"] = body["url"]
    return response


def install(api):
    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        if (answer := committed_answer(api, request)) is not None:
            return answer
        fields = [{"field": f.field, "reason": str(f.reason), "code": f.code} for f in exc.fields]
        return api.create_response(request, _body(exc.code, exc.message, fields, **exc.extra), status=exc.status)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        fields = [
            {"field": _field_name(e.get("loc", ())), "reason": _pydantic_reason(e), "code": e.get("type", "invalid")}
            for e in exc.errors
        ]
        return api.create_response(
            request, _body("validation_error", _("Some fields are missing or wrong."), fields), status=422
        )

    @api.exception_handler(AuthenticationError)
    def auth_error(request, exc):
        return api.create_response(
            request,
            _body("unauthenticated", _("Sign in, or send a valid token as “Authorization: Bearer <token>”.")),
            status=401,
        )

    @api.exception_handler(AuthorizationError)
    def authz_error(request, exc):
        return api.create_response(request, _body("forbidden", _("You may not do this.")), status=403)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        if (answer := committed_answer(api, request)) is not None:
            return answer
        return api.create_response(request, _body("not_found", _("Not found.")), status=404)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        message = _("The request body is not valid JSON.") if exc.status_code == 400 else str(exc)
        return api.create_response(request, _body("bad_request", message), status=exc.status_code)

    @api.exception_handler(Exception)
    def unexpected(request, exc):
        if (answer := committed_answer(api, request)) is not None:
            return answer
        log.exception("unexpected API error")
        return api.create_response(
            request, _body("server_error", _("Something went wrong on our side; nothing was changed.")), status=500
        )
