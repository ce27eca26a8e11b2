"""The registration form (/tickets/new/): register a ticket (受理) from any channel.

Choose the kind, search the kind's category tree, fill the category's required elements
(shown as soon as it is chosen, htmx partial), the customer and the complaint. Phone numbers
are checked as typed; the customer's earlier tickets (that the viewer may see) appear as soon
as their number is valid, which is also the repeat-complaint hint. A hidden idempotency key
makes a double submit register one ticket. Without JS the form still works: the elements of
the chosen category appear after the first submit, with the reason at each field.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from complaintdesk.accounts.roles import Role
from complaintdesk.answers.services import answer_use_record
from complaintdesk.audit.services import access_record
from complaintdesk.audit.vocabulary import AccessKind
from complaintdesk.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from complaintdesk.core.i18n import pick
from complaintdesk.core.phones import display_phone, normalize_phone
from complaintdesk.regulators.services.transfers import profile_options
from complaintdesk.screening.services.preview import screening_preview, special_type_options
from complaintdesk.taxonomy.models import ElementType
from complaintdesk.tickets.services import attachments as attachment_services
from complaintdesk.tickets.services.intake import IdempotencyMismatch, TicketDraft, ticket_register
from complaintdesk.tickets.vocabulary import Action, Kind, State
from complaintdesk.tickets.workflow import role_may
from complaintdesk.workbench import forms as f
from complaintdesk.workbench import selectors
from complaintdesk.workbench.views import incidents as incident_views

ELEMENT_PREFIX = "el_"
log = logging.getLogger(__name__)


def _may_resolve_on_spot(user, kind: str) -> bool:
    try:
        return role_may(Role(user.role), Kind(kind), State.REGISTERED, Action.RESOLVE_ON_SPOT)
    except ValueError:
        return False


def _element_inputs(chosen, values: dict, errors: dict) -> list[dict]:
    """One input per required element, with the right type, value and error."""
    rows = []
    for e in chosen.elements if chosen else []:
        name = f"{ELEMENT_PREFIX}{e.key}"
        rows.append({
            "element": e, "name": name, "id": f"id_{name}", "type": e.type,
            "value": values.get(name, ""), "error": errors.get(name, ""),
            "choices": [(c.get("value"), _choice_label(c)) for c in e.choices or []]
            if e.type == ElementType.CHOICE else [],
        })
    return rows


def _choice_label(choice: dict) -> str:
    return pick(choice.get("label", ""), choice.get("label_en", "")) or str(choice.get("value"))


def _context(request, form, *, kind: str, category: str, query: str, element_values: dict,
             element_errors: dict, history=None, new_key: str = "", similar=None) -> dict:
    chosen = selectors.category_with_elements(code=category, kind=kind)
    return {
        "more_open": _more_open(form),
        "nav_active": "register",
        "form": f.describe_errors(form) if form.is_bound else form,
        "kind": kind,
        "query": query,
        "category": category if chosen else "",
        "chosen": chosen,
        "options": selectors.category_options(kind=kind, query=query),
        "elements": _element_inputs(chosen, element_values, element_errors),
        "may_resolve": any(_may_resolve_on_spot(request.user, k) for k in Kind),
        "history": history,
        "element_errors": element_errors,
        "attachment_max_mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
        "new_key": new_key,
        "similar": similar,
        "answer_article": (request.POST.get("answer_article") or "")[:20] if request.method == "POST" else "",
    }


# The fields folded under "More" (rarely needed on a call): the fold opens by itself when
# one of them has an error or a value, so nothing typed or refused is hidden.
MORE_FIELDS = ("source_tier", "regulator", "regulator_matter", "regulator_urgency", "transferred_at", "matter_date",
               "regulator_ref", "regulator_due_at", "special", "special_type", "product",
               "org_unit", "first_reported_at", "agreed_time")


def _more_open(form) -> bool:
    if not form.is_bound:
        return False
    return any(form.errors.get(name) or form.data.get(name) for name in MORE_FIELDS)


@login_required
@require_http_methods(["GET", "POST"])
def register(request):
    if request.method == "GET":
        # No kind is preset (the agent chooses it first), unless a link names one.
        kind = request.GET.get("kind", "")
        kind = kind if kind in {k.value for k in Kind} else ""
        form = f.RegisterForm(org_units=selectors.org_unit_options(), special_types=special_type_options(),
                              regulators=profile_options(), initial={
            "kind": kind, "channel": "hotline", "idempotency_key": uuid.uuid4().hex})
        return render(request, "workbench/register.html", _context(
            request, form, kind=kind, category="", query="",
            element_values={}, element_errors={}))

    org_units = selectors.org_unit_options()
    special_types = special_type_options()
    regulators = profile_options()
    form = f.RegisterForm(request.POST, org_units=org_units, special_types=special_types,
                          regulators=regulators)
    kind = request.POST.get("kind", "")
    category = request.POST.get("category", "")
    query = request.POST.get("category_q", "")
    chosen = selectors.category_with_elements(code=category, kind=kind)
    element_values = {k: v for k, v in request.POST.items() if k.startswith(ELEMENT_PREFIX)}
    element_errors: dict[str, str] = {}
    new_key = ""
    files = request.FILES.getlist("attachments")

    if request.POST.get("refresh"):
        # Without JS: show the categories of the chosen kind / the elements of the chosen
        # category, keeping what was typed; nothing is registered.
        form = f.RegisterForm(initial=request.POST.dict(), org_units=org_units,
                              special_types=special_types, regulators=regulators)  # no errors
        return render(request, "workbench/register.html", _context(
            request, form, kind=kind, category=category, query=query,
            element_values=element_values, element_errors={},
            history=_history(request, request.POST.get("phone", ""))))

    if form.is_valid():
        data = form.cleaned_data
        key = data["idempotency_key"] or ""
        answer = (data["resolve_on_spot"] or "").strip()
        if answer and not _may_resolve_on_spot(request.user, kind):
            form.add_error("resolve_on_spot", gettext("This ticket cannot be resolved on the spot by you; "
                                                 "leave this empty and register it."))
        uploads = []
        for upload in files:
            content = upload.read(settings.ATTACHMENT_MAX_BYTES + 1)
            try:
                # The service's own checks, before anything is registered: a refused file
                # refuses the submission, and nothing is half-stored.
                attachment_services.attachment_check(upload.name, content)
            except ValidationFailed as exc:
                for item in exc.fields:
                    form.add_error(None, f"{upload.name}: {item.reason}")
            uploads.append((upload.name, content))
        if not form.errors:
            draft = TicketDraft(
                kind=kind, category=category, channel=data["channel"], title=data["title"],
                description=data["description"], phone=data["phone"],
                customer_name=data["customer_name"], contact_phone=data["contact_phone"],
                product=data["product"], severity=data["severity"] or "", special=data["special"],
                org_unit=data["org_unit"] or "", first_reported_at=data["first_reported_at"],
                agreed_time=data["agreed_time"], source_tier=data["source_tier"] or "",
                regulator_ref=data["regulator_ref"], regulator_due_at=data["regulator_due_at"],
                special_type=data["special_type"] or "",
                regulator=data["regulator"] or "", regulator_matter=data["regulator_matter"] or "",
                regulator_urgency=data["regulator_urgency"] or "", transferred_at=data["transferred_at"],
                matter_date=data["matter_date"],
                elements={e.key: element_values.get(f"{ELEMENT_PREFIX}{e.key}", "")
                          for e in (chosen.elements if chosen else [])},
            )
            try:
                ticket, created = ticket_register(actor=request.user, draft=draft,
                                                  idempotency_key=key, resolve_on_spot=answer)
            except IdempotencyMismatch:
                # The same form page was already used for a ticket (back button, edited,
                # sent again): keep what was typed, with a fresh key for a new ticket.
                new_key = uuid.uuid4().hex
                form.add_error(None, gettext(
                    "This form was already used to register a ticket. Check what you typed and "
                    "send it again to register another ticket."))
            except ValidationFailed as exc:
                for item in exc.fields:
                    if item.field.startswith("elements."):
                        element_errors[ELEMENT_PREFIX + item.field.split(".", 1)[1]] = str(item.reason)
                    elif item.field in form.fields:
                        form.add_error(item.field, str(item.reason))
                    else:
                        form.add_error(None, str(item.reason))
            except (Conflict, Forbidden) as exc:
                form.add_error("resolve_on_spot", str(exc.message))
            else:
                if created and answer:
                    _record_answer(request, ticket)
                return _registered(request, ticket, created, uploads)

    return render(request, "workbench/register.html", _context(
        request, form, kind=kind, category=category, query=query,
        element_values=element_values, element_errors=element_errors,
        history=_history(request, request.POST.get("phone", "")), new_key=new_key,
        similar=incident_views.similar_rows(request)), status=422)


def _record_answer(request, ticket) -> None:
    """The library answer the agent chose for the explanation, if any, is recorded on the
    ticket (after the registration committed: a stale or removed entry is not a reason to
    lose the ticket, it is only not recorded)."""
    raw = (request.POST.get("answer_article") or "").strip()
    if not raw.isdigit():
        return
    try:
        answer_use_record(ticket_id=ticket.pk, article_id=int(raw), actor=request.user)
    except NotFound:
        messages.warning(request, gettext("The answer chosen from the library no longer exists; "
                                          "it was not recorded on the ticket."))


def _registered(request, ticket, created: bool, uploads):
    """The answer once the ticket is committed, built from the ticket the service wrote (no
    read-back): whatever fails now is reported beside "registered", never as an error
    page that would make the registration look undone."""
    if not created:
        messages.info(request, gettext("This ticket was already registered as %(number)s.") % {
            "number": ticket.number})
        return redirect("workbench:ticket", ticket_id=ticket.pk)
    refused = []
    for name, content in uploads:
        try:
            attachment_services.attachment_add(ticket_id=ticket.pk, actor=request.user,
                                               name=name, data=content)
        except DomainError as exc:
            refused.append(f"{name}: {exc.message}")
        except Exception:  # the storage or the database failed: the ticket stands
            log.exception("ticket %s: attachment %r not stored", ticket.pk, name)
            reason = gettext("it could not be stored just now; attach it again on the ticket page.")
            refused.append(f"{name}: {reason}")
    messages.success(request, gettext("Ticket %(number)s registered.") % {"number": ticket.number})
    for line in refused:
        messages.warning(request, gettext("Not attached: %(reason)s") % {"reason": line})
    return redirect("workbench:ticket", ticket_id=ticket.pk)


def _history(request, raw: str):
    try:
        phone = normalize_phone(raw)
    except ValidationFailed:
        return None
    return selectors.customer_history(viewer=request.user, phone=phone)


# -- htmx partials -------------------------------------------------------------------------------


@login_required
@require_GET
def categories(request):
    """The category list of a kind, filtered by the search words; changing the kind also
    empties the elements (out-of-band swap)."""
    kind = request.GET.get("kind", "")
    return render(request, "workbench/_register_categories.html", {
        "options": selectors.category_options(kind=kind, query=request.GET.get("category_q", "")),
        "category": request.GET.get("category", ""),
        "kind": kind if kind in {k.value for k in Kind} else "",
        "query": request.GET.get("category_q", ""),
        "reset_elements": request.headers.get("HX-Trigger-Name") == "kind",
    })


@login_required
@require_GET
def elements(request):
    """The chosen category's required elements, keeping values already typed under the same
    key (elements inherited from a parent category)."""
    kind = request.GET.get("kind", "")
    chosen = selectors.category_with_elements(code=request.GET.get("category", ""), kind=kind)
    values = {k: v for k, v in request.GET.items() if k.startswith(ELEMENT_PREFIX)}
    return render(request, "workbench/_register_elements.html", {
        "chosen": chosen, "elements": _element_inputs(chosen, values, {}),
    })


@login_required
@require_GET
def phone_check(request):
    """Check a phone number as it is typed; for the customer's number also show their
    earlier tickets (out-of-band swap into #customer-history)."""
    name = request.GET.get("field", "phone")
    raw = (request.GET.get(name) or "").strip()
    context = {"field": name, "raw": raw, "ok": False, "message": "", "history": None,
               "with_history": name == "phone"}
    if raw:
        try:
            e164 = normalize_phone(raw, field=name)
        except ValidationFailed as exc:
            context["message"] = str(exc.fields[0].reason)
        else:
            context.update(ok=True, message=gettext("Valid number: %(number)s") % {"number": display_phone(e164)})
            if name == "phone":
                history = selectors.customer_history(viewer=request.user, phone=e164)
                context["history"] = history
                if history.found:  # the path only: the query holds the number looked up
                    access_record(actor=request.user, kind=AccessKind.CUSTOMER_LOOKUP,
                                  customer_ids=[history.customer_id], full_phones=True, path=request.path)
    return render(request, "workbench/_register_phone.html", context)


@login_required
@require_GET
def screen(request):
    """What registering would find, as the form is filled: the special-complainant phrases in
    the title and description, and the repeat (or over-the-head) link of this customer and
    matter. Read-only; the registration itself decides again."""
    try:
        phone = normalize_phone(request.GET.get("phone", ""))
    except ValidationFailed:
        phone = ""
    preview = screening_preview(
        viewer=request.user, phone=phone, kind=request.GET.get("kind", ""),
        category=request.GET.get("category", ""), source_tier=request.GET.get("source_tier", ""),
        title=request.GET.get("title", "")[:200], description=request.GET.get("description", "")[:20000])
    return render(request, "workbench/_register_screening.html", {"preview": preview})


urlpatterns = [
    path("tickets/new/", register, name="register"),
    path("tickets/new/categories/", categories, name="register_categories"),
    path("tickets/new/elements/", elements, name="register_elements"),
    path("tickets/new/phone/", phone_check, name="register_phone"),
    path("tickets/new/screen/", screen, name="register_screen"),
]
