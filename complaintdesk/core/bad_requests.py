"""What a request gets when Django cannot read its body: over a size or count limit, or
malformed multipart.

Django raises these while parsing (request.body, request.POST, request.FILES), wherever that
happens first: in a view, in the CSRF check, or inside django-ninja. Left alone, ninja's
catch-all turns them into a 500 and Django's own handler into an untranslated "Bad Request".
One table here decides status, code and message; the API's exception handlers
(core/api_errors.py) and the site's 400 handler (core/views.bad_request) both read it.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

# Handled by both the API and the site handler. DisallowedHost and the other
# SuspiciousOperations are included: they are the client's fault, never a 500.
# UnreadablePostError (the client went away in the middle of its body) reaches only the API's
# handlers: Django's own handling treats it as any other OSError.
BODY_ERRORS = (SuspiciousOperation, MultiPartParserError, BadRequest, UnreadablePostError)


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):g}"


def refusal_for(exc: Exception) -> Refusal:
    """The answer for one of BODY_ERRORS, in the active language."""
    if isinstance(exc, RequestDataTooBig):
        return Refusal(413, "request_too_large", _("The request is too large: at most %(mb)s MB, not counting files.")
                       % {"mb": _mb(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)})
    if isinstance(exc, TooManyFieldsSent):
        return Refusal(413, "too_many_fields", _("The request has too many fields: at most %(n)s.")
                       % {"n": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS})
    if isinstance(exc, TooManyFilesSent):
        return Refusal(413, "too_many_files", _("The request has too many files: at most %(n)s.")
                       % {"n": settings.DATA_UPLOAD_MAX_NUMBER_FILES})
    if isinstance(exc, MultiPartParserError):
        return Refusal(400, "malformed_body", _("The request body is not valid multipart form data."))
    if isinstance(exc, UnreadablePostError):
        return Refusal(400, "incomplete_body", _("The request body ended before it was complete."))
    return Refusal(400, "bad_request", _("The request could not be understood."))


def log_refusal(exc: Exception) -> None:
    """Logged as Django logs them (django.security.<name>), without a traceback: the
    client sent something wrong, nothing failed here."""
    logging.getLogger(f"django.security.{exc.__class__.__name__}").warning("%s", exc)
