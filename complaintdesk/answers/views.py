"""Reply templates and the answer library on screen.

- the registration page's answer search (htmx partial) and the library page (/answers/);
- the ticket page's "fill from a template": the templates that fit the ticket, each filled in
  with the ticket's facts; choosing one puts its text into the action's text field (htmx swap
  of that field; without JS the filled texts are shown to copy).
All GET, nothing changes state; a ticket's facts are read through the permission-checked
selector, so a template never shows a ticket the viewer may not see."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from complaintdesk.answers import selectors
from complaintdesk.answers.services import template_fill
from complaintdesk.answers.vocabulary import TemplatePurpose
from complaintdesk.core.errors import NotFound
from complaintdesk.core.i18n import pick
from complaintdesk.sla.vocabulary import ClockState
from complaintdesk.tickets import selectors as ticket_selectors
from complaintdesk.tickets.vocabulary import AssignmentRole

MAX_ID_LENGTH = 100


def _found_views(found) -> list[dict]:
    return [{"id": f.article.pk, "title": pick(f.article.title, f.article.title_en),
             "body": pick(f.article.body, f.article.body_en)} for f in found]


@login_required
@require_GET
def search(request):
    """The registration page's answer library panel (htmx): the entries for the words typed,
    fitting the chosen kind and category."""
    kind = (request.GET.get("kind") or "")[:20]
    query = (request.GET.get("answer_q") or "")
    found = selectors.articles_search(query=query, kind=kind,
                                      category=selectors.category_get(
                                          code=(request.GET.get("category") or "")[:MAX_ID_LENGTH], kind=kind))
    return render(request, "answers/_results.html", {"results": _found_views(found), "query": query[:200]})


@login_required
@require_GET
def library(request):
    """The answer library for reading (and the no-JS way to search it)."""
    query = (request.GET.get("q") or "")
    found = selectors.articles_search(query=query, limit=20)
    return render(request, "answers/library.html", {
        "results": _found_views(found), "query": query[:200], "nav_active": "answers"})


def _ticket_values(request, detail) -> dict[str, str]:
    ticket = detail.ticket
    running = [c.due_at for c in detail.clocks if c.state == ClockState.RUNNING and c.due_at]
    deadline = min(running) if running else None
    return {
        "customer": ticket.customer.name if ticket.customer_id else "",
        "number": ticket.number or "",
        "title": ticket.title,
        "deadline": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M") if deadline else "",
        "department": _department(detail),
        "agent": request.user.display_name or request.user.username,
        "category": ticket.category.display_name,
    }


def _department(detail) -> str:
    """The department holding the ticket, or, once it has left the departments (audit passed,
    reply due), the one that led its handling last."""
    if detail.ticket.lead_department_id:
        return detail.ticket.lead_department.display_name
    leads = [a for a in detail.assignments if a.role == AssignmentRole.LEAD]
    return leads[-1].department.display_name if leads else ""


def _detail(request, ticket_id: int):
    try:
        return ticket_selectors.ticket_get(viewer=request.user, ticket_id=ticket_id)
    except NotFound:
        raise Http404 from None


@login_required
@require_GET
def picker(request, ticket_id: int, purpose: str):
    """The templates that fit this ticket for one purpose, filled in with its facts. `target`
    and `name`: the text field of the action form a chosen text goes into."""
    try:
        purpose = TemplatePurpose(purpose)
    except ValueError:
        raise Http404 from None
    detail = _detail(request, ticket_id)
    ticket = detail.ticket
    values = _ticket_values(request, detail)
    language = get_language() or "zh-hans"
    templates = selectors.templates_for(purpose=purpose, kind=ticket.kind, category=ticket.category)
    rows = [{"id": t.pk, "name": pick(t.name, t.name_en),
             "text": template_fill(template=t, values=values, language=language)} for t in templates]
    return render(request, "answers/_picker.html", {
        "rows": rows, "ticket": ticket, "purpose": purpose,
        "fills": purpose != TemplatePurpose.CALLBACK_SCRIPT,
        "target": _html_id(request.GET.get("target", "")), "name": _html_id(request.GET.get("name", "")),
    })


def _html_id(value: str) -> str:
    """An id or field name from the page, as an attribute value (letters, digits, -, _)."""
    value = (value or "")[:MAX_ID_LENGTH]
    return "".join(c for c in value if c.isalnum() or c in "-_")


urlpatterns = [
    path("answers/", library, name="library"),
    path("answers/search/", search, name="search"),
    path("answers/templates/<int:ticket_id>/<slug:purpose>/", picker, name="picker"),
]
