"""The customer portal's pages: no sign-in. Thin: parse, check the rate limit, call one
service or selector, render. No GET changes anything; every form is CSRF-protected.

After a successful lookup (tracking code + phone) the session remembers, for 30 minutes,
that this browser may see that case: the code never appears in a URL (nor in access logs),
and answering or rating needs no second lookup."""

import logging
import time

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from complaintdesk.core.errors import Conflict, DomainError, ValidationFailed
from complaintdesk.core.phones import display_phone, normalize_phone
from complaintdesk.portal import selectors
from complaintdesk.portal.codes import display_code
from complaintdesk.portal.services.challenge import FIELD as CHALLENGE_FIELD
from complaintdesk.portal.services.challenge import challenge_new, challenge_read
from complaintdesk.portal.services.filing import (
    ANSWER_MAX,
    COMMENT_MAX,
    DESCRIPTION_MAX,
    MAX_FILES,
    BotSuspected,
    Filing,
    Upload,
    max_file_bytes,
    max_request_bytes,
    portal_info_answer,
    portal_rate,
    portal_ticket_file,
)
from complaintdesk.portal.services.throttle import client_ip, rate_hit, rate_peek
from complaintdesk.portal.workflow import Rating

log = logging.getLogger(__name__)

SESSION_KEY = "portal_cases"
CASE_SECONDS = 30 * 60
HONEYPOT = "website"

FIELD_LABELS = {
    "kind": _("What is it about?"),
    "category": _("Category"),
    "description": _("What happened"),
    "name": _("Your name"),
    "phone": _("Phone number"),
    "email": _("Email (optional)"),
    "files": _("Attachments"),
    CHALLENGE_FIELD: _("Check question"),
    "answer": _("Your answer"),
    "file": _("Attachment"),
    "rating": _("How satisfied are you?"),
    "comment": _("Comment (optional)"),
    "code": _("Tracking code"),
}


# --- helpers ---------------------------------------------------------------------------------

def _limited(request, verdict, status=429):
    response = render(request, "portal/limited.html", {"retry_minutes": max(1, (verdict.retry_after + 59) // 60)},
                      status=status)
    response["Retry-After"] = str(verdict.retry_after)
    return response


def _too_large(request):
    return render(request, "portal/too_large.html", {"max_mb": max_request_bytes() // (1024 * 1024)}, status=413)


def _body_too_large(request) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > max_request_bytes()
    except ValueError:
        return True


def _errors(exc: ValidationFailed, labels: dict) -> tuple[dict, list[dict]]:
    """field → [reasons], and a summary naming each field, in page order."""
    by_field: dict[str, list] = {}
    for e in exc.fields:
        by_field.setdefault(e.field, []).append(e.reason)
    summary = [{"anchor": "id_" + f.replace(".", "-"), "label": labels.get(f, f), "reasons": reasons}
               for f, reasons in by_field.items()]
    return by_field, summary


def _uploads(request, name: str) -> list[Upload]:
    return [Upload(name=f.name, data=f.read()) for f in request.FILES.getlist(name)[: MAX_FILES + 1]]


def _remember(request, number: str, ticket_id: int) -> None:
    cases = {n: v for n, v in request.session.get(SESSION_KEY, {}).items() if v[1] > time.time() - CASE_SECONDS}
    cases[number] = [ticket_id, time.time()]
    request.session[SESSION_KEY] = cases


def _case_id(request, number: str) -> int:
    """The ticket of a case this browser has looked up lately; 404 otherwise (as for any
    number: nobody learns which numbers exist)."""
    entry = request.session.get(SESSION_KEY, {}).get(number)
    if not entry or entry[1] < time.time() - CASE_SECONDS:
        raise Http404
    return int(entry[0])


# --- pages -----------------------------------------------------------------------------------

@require_GET
def home(request):
    return render(request, "portal/home.html")


def _file_context(request, values: dict, errors: dict | None = None, summary=None, challenge=None):
    kind = values.get("kind", "")
    category = values.get("category", "")
    elements = []
    for element in selectors.portal_elements(kind=kind, category=category):
        elements.append({"field": element, "value": values.get(element.name, ""),
                         "errors": (errors or {}).get(f"elements.{element.key}", [])})
    return {
        "values": values,
        "errors": errors or {},
        "summary": summary or [],
        "kinds": selectors.customer_kinds(),
        "categories": selectors.portal_categories(kind=kind) if kind else [],
        "elements": elements,
        "challenge": challenge or challenge_new(),
        "honeypot": HONEYPOT,
        "max_files": MAX_FILES,
        "max_file_mb": max_file_bytes() // (1024 * 1024),
        "description_max": DESCRIPTION_MAX,
        "portal_active": "file",
    }


# Upload size: the CSRF check reads the whole multipart body, so the pages that take files are
# exempt from the middleware's check, refuse an oversized body unread (a refusal changes
# nothing), and only then run the same CSRF check (csrf_protect), as Django's docs advise.

@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def file(request):
    if request.method == "POST" and _body_too_large(request):
        return _too_large(request)
    return _file(request)


@csrf_protect
def _file(request):
    if request.method == "GET":
        values = {"kind": request.GET.get("kind", "")[:20], "category": request.GET.get("category", "")[:60]}
        return render(request, "portal/file.html", _file_context(request, values))
    values = {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken",)}
    challenge = challenge_read(values.get("challenge_token", ""))
    if request.POST.get("refresh"):
        # The no-JavaScript way to show a kind's categories and a category's elements.
        return render(request, "portal/file.html", _file_context(request, values, challenge=challenge))
    ip = client_ip(request)
    verdict = rate_hit(name="file_ip", subject=ip)
    if not verdict.allowed:
        return _limited(request, verdict)
    try:
        phone_key = normalize_phone(values.get("phone", ""))
    except ValidationFailed:
        phone_key = ""
    if phone_key:
        verdict = rate_peek(name="file_phone", subject=phone_key)
        if not verdict.allowed:
            return _limited(request, verdict)
    filing = Filing(
        kind=values.get("kind", ""), category=values.get("category", ""), description=values.get("description", ""),
        name=values.get("name", ""), phone=values.get("phone", ""), email=values.get("email", ""),
        elements={k[3:]: v for k, v in values.items() if k.startswith("el_")},
        files=_uploads(request, "files"),
    )
    try:
        ticket, code = portal_ticket_file(
            filing=filing, challenge_token=values.get("challenge_token", ""),
            challenge_answer=values.get(CHALLENGE_FIELD, ""), honeypot=values.get(HONEYPOT, ""),
            language=get_language() or "",
        )
    except BotSuspected:
        return render(request, "portal/refused.html", status=400)
    except ValidationFailed as exc:
        labels = dict(FIELD_LABELS)
        for element in selectors.portal_elements(kind=filing.kind, category=filing.category):
            labels[f"elements.{element.key}"] = element.label
        errors, summary = _errors(exc, labels)
        # A wrong or used challenge is replaced; a right one is asked again with its answer kept.
        if CHALLENGE_FIELD in errors:
            challenge, values[CHALLENGE_FIELD] = None, ""
        context = _file_context(request, values, errors, summary, challenge=challenge)
        context["files_lost"] = bool(filing.files)
        return render(request, "portal/file.html", context, status=422)
    except DomainError as exc:
        return render(request, "portal/problem.html", {"message": exc.message}, status=exc.status)
    # Committed: from here on nothing may fail the answer, or the customer never sees the
    # tracking code (it is stored nowhere) of a case that exists.
    if phone_key:
        try:
            rate_hit(name="file_phone", subject=phone_key)
        except Exception:
            log.exception("portal: ticket %s filed, its phone's rate counter not counted", ticket.pk)
    _remember(request, ticket.number, ticket.pk)
    # Rendered here, not after a redirect: the code is shown once and stored nowhere.
    response = render(request, "portal/filed.html", {"number": ticket.number, "code": display_code(code)})
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def categories(request):
    """htmx: the category options of a kind, filtered by what the customer typed."""
    verdict = rate_hit(name="helper_ip", subject=client_ip(request))
    if not verdict.allowed:
        return _limited(request, verdict)
    options = selectors.portal_categories(kind=request.GET.get("kind", "")[:20], query=request.GET.get("q", "")[:50])
    return render(request, "portal/partials/category_options.html",
                  {"categories": options, "values": {"category": request.GET.get("category", "")}})


@require_GET
def elements(request):
    """htmx: the required elements of the chosen category."""
    verdict = rate_hit(name="helper_ip", subject=client_ip(request))
    if not verdict.allowed:
        return _limited(request, verdict)
    fields = selectors.portal_elements(kind=request.GET.get("kind", "")[:20], category=request.GET.get("category", "")[:60])
    return render(request, "portal/partials/elements.html",
                  {"elements": [{"field": f, "value": "", "errors": []} for f in fields]})


@require_POST
def check_phone(request):
    """htmx: the phone number checked as it is typed (POST: the number stays out of URLs)."""
    verdict = rate_hit(name="helper_ip", subject=client_ip(request))
    if not verdict.allowed:
        return _limited(request, verdict)
    raw = request.POST.get("phone", "")
    if not raw.strip():
        return HttpResponse("")
    try:
        number = normalize_phone(raw)
    except ValidationFailed as exc:
        return render(request, "portal/partials/phone_check.html", {"error": exc.fields[0].reason})
    return render(request, "portal/partials/phone_check.html", {"ok": display_phone(number)})


@never_cache
@require_http_methods(["GET", "POST"])
def track(request):
    if request.method == "GET":
        return render(request, "portal/track.html", {"values": {}, "portal_active": "track"})
    ip = client_ip(request)
    values = {"code": request.POST.get("code", "")[:40], "phone": request.POST.get("phone", "")[:40]}
    verdict = rate_hit(name="lookup_ip", subject=ip)
    if not verdict.allowed:
        return _limited(request, verdict)
    try:
        phone_key = normalize_phone(values["phone"])
    except ValidationFailed:
        phone_key = ""
    if phone_key:
        verdict = rate_hit(name="lookup_phone", subject=phone_key)
        if not verdict.allowed:
            return _limited(request, verdict)
    ticket_id = selectors.portal_find(code=values["code"], phone=values["phone"])
    case = selectors.portal_case(ticket_id=ticket_id) if ticket_id else None
    if case is None:
        # One answer for an unknown code and a wrong phone. The code is not re-shown.
        return render(request, "portal/track.html", {"values": {"phone": values["phone"]}, "not_found": True,
                                                             "portal_active": "track"},
                      status=404)
    _remember(request, case.number, case.ticket_id)
    return redirect("portal:case", number=case.number)


def _case_page(request, number: str, *, status=200, **extra):
    case = selectors.portal_case(ticket_id=_case_id(request, number))
    if case is None:
        raise Http404
    context = {"case": case, "ratings": Rating.choices(), "answer_max": ANSWER_MAX, "comment_max": COMMENT_MAX,
               "max_file_mb": max_file_bytes() // (1024 * 1024), "values": {}, "errors": {}, "summary": []}
    context.update(extra)
    response = render(request, "portal/case.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def case(request, number):
    return _case_page(request, number)


@csrf_exempt
@require_POST
def answer(request, number):
    if _body_too_large(request):
        return _too_large(request)
    return _answer(request, number)


@csrf_protect
def _answer(request, number):
    return _case_action(
        request, number, fields=("answer",), sent="answer",
        act=lambda ticket_id, values: portal_info_answer(
            ticket_id=ticket_id, text=values["answer"], files=_uploads(request, "file")),
    )


@require_POST
def rate(request, number):
    return _case_action(
        request, number, fields=("rating", "comment"), sent="rating",
        act=lambda ticket_id, values: portal_rate(
            ticket_id=ticket_id, rating=values["rating"], comment=values["comment"]),
    )


def _case_action(request, number, *, fields, sent, act):
    """A customer's action on their case: rate-limited, errors shown on the case page with
    what was typed kept (422 invalid, 409 no longer possible), else back to the case."""
    ticket_id = _case_id(request, number)
    verdict = rate_hit(name="act_ip", subject=client_ip(request))
    if not verdict.allowed:
        return _limited(request, verdict)
    values = {name: request.POST.get(name, "") for name in fields}
    try:
        act(ticket_id, values)
    except ValidationFailed as exc:
        errors, summary = _errors(exc, FIELD_LABELS)
        return _case_page(request, number, status=422, values=values, errors=errors, summary=summary)
    except Conflict as exc:
        return _case_page(request, number, status=409, values=values, problem=exc.message)
    return redirect(reverse("portal:case", kwargs={"number": number}) + f"?sent={sent}")


@require_POST
def leave(request, number):
    """Forget the case in this browser (a shared computer, a phone lent to someone)."""
    cases = dict(request.session.get(SESSION_KEY, {}))
    cases.pop(number, None)
    request.session[SESSION_KEY] = cases
    return redirect("portal:home")
