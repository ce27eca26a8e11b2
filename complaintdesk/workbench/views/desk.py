"""The ticket tools on the staff pages (issue 12 §5): internal notes with @mentions, links and
merging on the ticket page, the staff picker (htmx autocomplete into a <datalist>), bulk
dispatch / urge / close from a worklist. Each endpoint parses, calls one service of desk/ (or
the one writer of state), renders; every refusal is put at its field in the user's language."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from complaintdesk.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from complaintdesk.desk import selectors as desk_selectors
from complaintdesk.desk.services import links as link_services
from complaintdesk.desk.services import notes as note_services
from complaintdesk.tickets.vocabulary import State
from complaintdesk.workbench import forms as f
from complaintdesk.workbench.views import ticket as ticket_views

# Form field → service field, where they differ.
_NOTE_FIELDS = {"text": "text", "mentions": "mention"}


def _refused(request, ticket_id: int, name: str, form, exc: DomainError):
    """A refusal: at the form's fields (kept as typed), or as the page's notice."""
    page = ticket_views._load(request, ticket_id)
    if isinstance(exc, ValidationFailed):
        f.add_service_errors(form, exc, aliases={"mentions": "mention"})
        return ticket_views._render(request, page, status=200 if ticket_views._partial(request) else 422,
                                    desk_bound=(name, form), notice=gettext("Check the fields marked below."),
                                    notice_kind="error")
    kind = "warning" if isinstance(exc, Conflict) else "error"
    return ticket_views._after(request, page, str(exc.message), messages.WARNING if kind == "warning"
                               else messages.ERROR, kind)


def _done(request, ticket_id: int, message: str):
    page = ticket_views._load(request, ticket_id)
    return ticket_views._after(request, page, message, messages.SUCCESS, "success")


@login_required
@require_POST
def note_add(request, ticket_id: int):
    form = f.InternalNoteForm(request.POST, prefix="note")
    if not form.is_valid():
        page = ticket_views._load(request, ticket_id)
        return ticket_views._render(request, page, status=200 if ticket_views._partial(request) else 422,
                                    desk_bound=("note", form), notice=gettext("Check the fields marked below."),
                                    notice_kind="error")
    data = form.cleaned_data
    try:
        event = note_services.note_add(ticket_id=ticket_id, actor=request.user, text=data["text"],
                                       mentions=[data["mention"]] if data["mention"] else [])
    except NotFound:
        raise Http404(gettext("No such ticket.")) from None
    except DomainError as exc:
        return _refused(request, ticket_id, "note", form, exc)
    told = event.payload.get("mentions") or []
    message = gettext("Note added.")
    if told:
        message = gettext("Note added; told: %(names)s.") % {"names": ", ".join(f"@{n}" for n in told)}
    return _done(request, ticket_id, message)


@login_required
@require_POST
def link_add(request, ticket_id: int):
    form = f.LinkForm(request.POST, prefix="link")
    if not form.is_valid():
        page = ticket_views._load(request, ticket_id)
        return ticket_views._render(request, page, status=200 if ticket_views._partial(request) else 422,
                                    desk_bound=("link", form), notice=gettext("Check the fields marked below."),
                                    notice_kind="error")
    try:
        link_services.link_add(ticket_id=ticket_id, other=form.cleaned_data["other"],
                               type=form.cleaned_data["type"], actor=request.user)
    except NotFound:
        raise Http404(gettext("No such ticket.")) from None
    except DomainError as exc:
        return _refused(request, ticket_id, "link", form, exc)
    return _done(request, ticket_id, gettext("Linked to ticket %(number)s.") % {"number": form.cleaned_data["other"]})


@login_required
@require_POST
def link_remove(request, ticket_id: int, link_id: int):
    try:
        link_services.link_remove(link_id=link_id, ticket_id=ticket_id, actor=request.user)
    except NotFound:
        raise Http404(gettext("No such link.")) from None
    except DomainError as exc:
        page = ticket_views._load(request, ticket_id)
        return ticket_views._after(request, page, " ".join(str(x.reason) for x in exc.fields) or str(exc.message),
                                   messages.ERROR, "error")
    return _done(request, ticket_id, gettext("Link removed."))


@login_required
@require_POST
def merge(request, ticket_id: int):
    form = f.MergeForm(request.POST, prefix="merge")
    if not form.is_valid():
        page = ticket_views._load(request, ticket_id)
        return ticket_views._render(request, page, status=200 if ticket_views._partial(request) else 422,
                                    desk_bound=("merge", form), notice=gettext("Check the fields marked below."),
                                    notice_kind="error")
    data = form.cleaned_data
    try:
        ticket = link_services.ticket_merge(ticket_id=ticket_id, into=data["into"], actor=request.user,
                                            reason=data["reason"], expected_version=data["expected_version"])
    except NotFound:
        raise Http404(gettext("No such ticket.")) from None
    except (Conflict, Forbidden, ValidationFailed) as exc:
        return _refused(request, ticket_id, "merge", form, exc)
    message = gettext("Merged into ticket %(number)s: this ticket is now “%(state)s”.") % {
        "number": data["into"], "state": State(ticket.state).label}
    return ticket_views._after_commit(request, ticket, message)


@login_required
@require_GET
def staff_picker(request):
    """The <option>s of a staff picker's datalist for the words typed (purpose: dispatch,
    transfer or mention; a mention names the ticket)."""
    purpose = request.GET.get("purpose", "")
    raw_ticket = request.GET.get("ticket", "")
    options = desk_selectors.staff_options(
        # The input sends its own value under its own name (`field`): no script needed.
        viewer=request.user, query=request.GET.get(request.GET.get("field", "") or "q", ""), purpose=purpose,
        ticket_id=int(raw_ticket) if raw_ticket.isdigit() and len(raw_ticket) < 12 else None)
    return render(request, "workbench/_staff_options.html", {"options": options})


urlpatterns = [
    path("staff/picker/", staff_picker, name="staff_picker"),
    path("tickets/<int:ticket_id>/note/", note_add, name="ticket_note"),
    path("tickets/<int:ticket_id>/links/", link_add, name="ticket_link"),
    path("tickets/<int:ticket_id>/links/<int:link_id>/remove/", link_remove, name="ticket_link_remove"),
    path("tickets/<int:ticket_id>/merge/", merge, name="ticket_merge"),
]
