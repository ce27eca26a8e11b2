"""Near-duplicates and incidents in the workbench.

- /tickets/new/similar/ (htmx, on the registration form): open tickets that say the same
  thing as the title and description being typed.
- /tickets/<id>/similar/: the ticket page's panel "incident" and "similar open tickets"
  (loaded by htmx after the page, so the ticket page itself costs what it cost; without JS
  a link opens it as a page).
- /incidents/ (open incidents), /incidents/<id>/ (members, add by number or from the
  suggestions, remove, one reply and one close carried to every member; the refusals are
  listed by ticket number with the reason).

Every state change is a POST to one service call, then redirect (PRG) with messages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from complaintdesk.core.errors import DomainError, NotFound, ValidationFailed
from complaintdesk.incidents import selectors
from complaintdesk.incidents.services import incidents as services
from complaintdesk.incidents.vocabulary import IncidentState, MemberSource
from complaintdesk.tickets import selectors as ticket_selectors
from complaintdesk.tickets.vocabulary import OPEN_STATES, State

TEXT_MAX = 20000


def _partial(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def _state_label(value: str) -> str:
    try:
        return str(State(value).label)
    except ValueError:
        return value


def _rows(suggestions) -> list[dict]:
    return [{"id": s.ticket.pk, "number": s.ticket.number, "title": s.ticket.title,
             "state": _state_label(s.ticket.state), "percent": round(s.similarity * 100),
             "incident_id": s.incident_id} for s in suggestions]


def _error_text(exc: DomainError) -> str:
    if exc.fields:
        return "; ".join(str(f.reason) for f in exc.fields)
    return str(exc.message)


def similar_rows(request) -> list[dict]:
    """Suggestions for the title and description of a registration form (GET or POST)."""
    data = request.POST if request.method == "POST" else request.GET
    title = data.get("title", "")[:200]
    description = data.get("description", "")[:TEXT_MAX]
    try:
        return _rows(selectors.similar_open_tickets(viewer=request.user, title=title, description=description))
    except ValidationFailed:
        return []


@login_required
@require_GET
def register_similar(request):
    """Suggestions while a ticket is being registered (title and description as typed)."""
    asked = bool(request.GET.get("title") or request.GET.get("description"))
    return render(request, "workbench/_register_similar.html", {"similar": similar_rows(request), "asked": asked})


@login_required
@require_GET
def ticket_similar(request, ticket_id: int):
    try:
        ticket = ticket_selectors.ticket_get_scoped(viewer=request.user, ticket_id=ticket_id)
    except NotFound:
        raise Http404(gettext("No such ticket.")) from None
    incident = selectors.incident_of_ticket(ticket_id=ticket.pk)
    found = selectors.similar_open_tickets(viewer=request.user, ticket_id=ticket.pk, limit=10)
    manage = services.may_manage(request.user)
    context = {
        "ticket": ticket, "incident": incident, "similar": _rows(found), "may_manage": manage,
        "can_add": manage and incident is not None and incident.state == IncidentState.OPEN,
        "can_create": manage and incident is None and ticket.state in OPEN_STATES,
        "nav_active": "worklists",
    }
    template = "workbench/_ticket_similar.html" if _partial(request) else "workbench/ticket_similar.html"
    return render(request, template, context)


@login_required
@require_GET
def incident_list(request):
    open_only = request.GET.get("all") != "1"
    return render(request, "workbench/incidents.html", {
        "incidents": selectors.incident_list(viewer=request.user, open_only=open_only),
        "open_only": open_only, "nav_active": "incidents",
    })


@login_required
@require_GET
def incident_detail(request, incident_id: int):
    try:
        view = selectors.incident_get(viewer=request.user, incident_id=incident_id)
    except NotFound:
        raise Http404(gettext("No such incident.")) from None
    incident = view.incident
    is_open = incident.state == IncidentState.OPEN
    manage = services.may_manage(request.user) and is_open
    similar = []
    if manage:
        member_ids = {m.ticket_id for m in view.members}
        similar = [row for row in _rows(selectors.similar_open_tickets(
            viewer=request.user, ticket_id=incident.lead_id, limit=20)) if row["id"] not in member_ids]
    members = [{"ticket_id": m.ticket_id, "number": m.ticket.number, "title": m.ticket.title,
                "state": _state_label(m.ticket.state), "lead": m.ticket_id == incident.lead_id,
                "source": m.get_source_display(), "added_by": m.added_by, "added_at": m.added_at}
               for m in view.members]
    return render(request, "workbench/incident.html", {
        "incident": incident, "members": members, "hidden": view.hidden, "similar": similar,
        "may_manage": manage, "is_open": is_open, "nav_active": "incidents",
        "state_label": incident.get_state_display(),
    })


def _back(incident_id: int):
    return redirect("workbench:incident", incident_id=incident_id)


@login_required
@require_POST
def incident_create(request, ticket_id: int):
    try:
        incident = services.incident_create(actor=request.user, lead_ticket_id=ticket_id,
                                            title=request.POST.get("title", "")[:201])
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return redirect("workbench:ticket", ticket_id=ticket_id)
    messages.success(request, gettext("Incident %(number)s created with this ticket as its lead.") % {
        "number": incident.number})
    return _back(incident.pk)


@login_required
@require_POST
def incident_add(request, incident_id: int):
    source = request.POST.get("source", MemberSource.HAND)
    try:
        raw_id = request.POST.get("ticket_id", "")
        if raw_id.isdigit() and len(raw_id) < 19:
            ticket_id = int(raw_id)
        else:
            ticket_id = selectors.ticket_id_for_number(viewer=request.user, number=request.POST.get("number", ""))
        member = services.incident_add_member(actor=request.user, incident_id=incident_id, ticket_id=ticket_id,
                                              source=source)
    except NotFound:
        raise Http404(gettext("No such incident.")) from None
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, gettext("Ticket %(number)s added to the incident.") % {
            "number": member.ticket.number})
    back = request.POST.get("back", "")
    if back.isdigit():
        return redirect("workbench:ticket", ticket_id=int(back))
    return _back(incident_id)


@login_required
@require_POST
def incident_remove(request, incident_id: int, ticket_id: int):
    try:
        services.incident_remove_member(actor=request.user, incident_id=incident_id, ticket_id=ticket_id)
    except NotFound:
        raise Http404(gettext("No such incident.")) from None
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, gettext("The ticket was taken out of the incident."))
    return _back(incident_id)


def _report(request, result, action: str) -> None:
    if result.done:
        messages.success(request, gettext("%(action)s carried to %(n)d ticket(s): %(numbers)s.") % {
            "action": action, "n": len(result.done), "numbers": ", ".join(result.done)})
    for refusal in result.refused:
        messages.warning(request, gettext("Not done on %(number)s: %(reason)s") % {
            "number": refusal.number, "reason": refusal.reason})


@login_required
@require_POST
def incident_reply(request, incident_id: int):
    try:
        result = services.incident_reply(actor=request.user, incident_id=incident_id,
                                         text=request.POST.get("text", "")[:TEXT_MAX + 1])
    except NotFound:
        raise Http404(gettext("No such incident.")) from None
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        _report(request, result, gettext("Reply"))
    return _back(incident_id)


@login_required
@require_POST
def incident_close(request, incident_id: int):
    try:
        result = services.incident_close(actor=request.user, incident_id=incident_id,
                                         reason=request.POST.get("reason", "")[:TEXT_MAX + 1])
    except NotFound:
        raise Http404(gettext("No such incident.")) from None
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        _report(request, result, gettext("Close"))
        if result.incident.state == IncidentState.CLOSED:
            messages.info(request, gettext("The incident is closed: no member is open any more."))
    return _back(incident_id)


urlpatterns = [
    path("tickets/new/similar/", register_similar, name="register_similar"),
    path("tickets/<int:ticket_id>/similar/", ticket_similar, name="ticket_similar"),
    path("tickets/<int:ticket_id>/incident/", incident_create, name="incident_create"),
    path("incidents/", incident_list, name="incidents"),
    path("incidents/<int:incident_id>/", incident_detail, name="incident"),
    path("incidents/<int:incident_id>/members/", incident_add, name="incident_add"),
    path("incidents/<int:incident_id>/members/<int:ticket_id>/remove/", incident_remove, name="incident_remove"),
    path("incidents/<int:incident_id>/reply/", incident_reply, name="incident_reply"),
    path("incidents/<int:incident_id>/close/", incident_close, name="incident_close"),
]
