"""One JSON shape for every API error, in the caller's language:

    {"error": {"code": "...", "message": "...", "fields": [{"field": "...", "reason": "...", "code": "..."}], ...}}
"""

import logging

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema
from pydantic import ConfigDict

from complaintdesk.core import bad_requests
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

    def body_error(request, exc):
        # Django could not read the body (too large, too many fields, broken multipart).
        bad_requests.log_refusal(exc)
        refusal = bad_requests.refusal_for(exc)
        fields = [{"field": "body", "reason": refusal.message, "code": refusal.code}]
        return api.create_response(request, _body(refusal.code, refusal.message, fields), status=refusal.status)

    for exc_class in bad_requests.BODY_ERRORS:
        api.add_exception_handler(exc_class, body_error)

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


# -- the error responses in the OpenAPI document ----------------------------------------------

class ApiFieldError(Schema):
    field: str
    reason: str
    code: str


class ApiErrorDetail(Schema):
    # Some errors add facts that help the caller recover (a conflict gives the ticket's
    # current state and version): extra keys are allowed.
    model_config = ConfigDict(extra="allow")
    code: str
    message: str
    fields: list[ApiFieldError]


class ApiError(Schema):
    error: ApiErrorDetail


class _ErrorResponse(Schema):
    response: ApiError  # ninja's wrapper shape: one "response" field, unwrapped into a $ref


ERROR_DESCRIPTIONS = {
    400: "Bad request: the body is not valid JSON or multipart form data.",
    401: "Not signed in, or the bearer token is missing, wrong or revoked.",
    403: "Your role or scope does not allow this, or the CSRF token is missing (session sign-in).",
    404: "Not found, or not visible to you (its existence is not disclosed).",
    409: "Conflict: the ticket changed first (stale `version`) or its state no longer allows this.",
    413: "The request is over a limit: body size (files apart), number of fields or of files.",
    422: "Some fields are missing or wrong; `error.fields` names each one and why.",
    429: "Too many requests; try again later.",
}


def error_statuses(operation) -> list[int]:
    """The error statuses an operation can answer: the common ones for all, 404 where the
    path names an object, 409 and 413 where the request has a body (the unsafe methods)."""
    statuses = [400, 401, 403, 422, 429]
    if "{" in operation.path:
        statuses.append(404)
    if set(operation.methods) & {"POST", "PUT", "PATCH", "DELETE"}:
        statuses += [409, 413]
    return sorted(statuses)


class _OpenAPIWithErrors(OpenAPISchema):
    def responses(self, operation):
        result = super().responses(operation)
        schema = self._create_schema_from_model(_ErrorResponse, mode="serialization")[0]
        for status in error_statuses(operation):
            # A route that declares an error status itself (response={409: X}) keeps its own.
            result.setdefault(status, {
                "description": ERROR_DESCRIPTIONS[status],
                "content": {self.api.renderer.media_type: {"schema": schema}},
            })
        return result


class ErrorDeclaringAPI(NinjaAPI):
    """A NinjaAPI whose OpenAPI document declares, on every operation of every router, the
    error responses with the one error schema (ApiError): routes declare only their
    successes."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return _OpenAPIWithErrors(self, path_prefix)
