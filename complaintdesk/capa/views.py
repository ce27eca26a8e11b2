"""The CAPA pages: the worklist (/capa/), raising an action (/capa/new/), the action page
with one form per allowed step (/capa/<id>/), and the ticket page's panel (root cause,
accountability note, linked actions; loaded into the ticket page by htmx).

Thin: parse the form, call one service or selector, render. Every form carries the version
it was rendered with; a refusal (Conflict/Forbidden) becomes a message and the current page.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from complaintdesk.accounts.models import User
from complaintdesk.capa import forms as f
from complaintdesk.capa import selectors
from complaintdesk.capa.roles import RAISE_ROLES
from complaintdesk.capa.services import actions as services
from complaintdesk.capa.services.root_causes import root_cause_record
from complaintdesk.capa.vocabulary import (
    ActionEventType,
    ActionKind,
    ActionSource,
    ActionState,
    Step,
)
from complaintdesk.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from complaintdesk.taxonomy.models import Category
from complaintdesk.workbench.forms import add_service_errors, describe_errors

app_name = "capa"


def _label(enum, value) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return str(value or "")


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


# -- the worklist ------------------------------------------------------------------------------

@login_required
@require_GET
def worklist(request):
    state = request.GET.get("state") or "open"
    filters = selectors.ActionFilters(state=state, overdue=request.GET.get("overdue") == "1",
                                      mine=request.GET.get("mine") == "1", after=request.GET.get("after", ""))
    try:
        rows, cursor = selectors.action_list(viewer=request.user, filters=filters)
        error = ""
    except ValidationFailed as exc:
        rows, cursor, error = [], "", str(exc.fields[0].reason if exc.fields else exc.message)
    now = timezone.now()
    figures = selectors.capa_figures(viewer=request.user, start=now - dt.timedelta(days=30), end=now)
    return render(request, "capa/worklist.html", {
        "nav_active": "capa", "rows": [{
            "a": a, "kind": _label(ActionKind, a.kind), "state": _label(ActionState, a.state),
            "due": _local(a.due_at), "owner": str(a.owner),
            "department": a.owner_department.display_name if a.owner_department_id else "",
        } for a in rows],
        "cursor": cursor, "error": error, "filters": filters,
        "state_choices": [(v, str(label), v == filters.state) for v, label in
                          [("open", gettext("Open")), ("closed", gettext("Closed or cancelled")),
                           ("all", gettext("All"))]],
        "figures": figures, "may_raise": request.user.role in RAISE_ROLES,
    })


# -- raising -----------------------------------------------------------------------------------

def _owner_choices(viewer) -> list[tuple[str, str]]:
    """Staff who may own an action: a department head's own department; for the centre,
    the active staff of its org unit subtree."""
    people = User.objects.filter(is_active=True).select_related("department").order_by("department__code", "username")
    if viewer.role == "dept_head":
        people = people.filter(department_id=viewer.department_id)
    elif viewer.role != "admin" and viewer.org_unit_id:
        people = people.filter(org_unit__path__startswith=viewer.org_unit.path)
    return [(u.username, f"{u} ({u.department.display_name})" if u.department_id else str(u)) for u in people[:500]]


def _category_choices() -> list[tuple[str, str]]:
    return [(c.code, "\u3000" * (c.depth - 1) + c.display_name)
            for c in Category.objects.filter(active=True).order_by("path")]


@login_required
@require_http_methods(["GET", "POST"])
def action_new(request):
    if request.user.role not in RAISE_ROLES:
        raise Http404(gettext("No such page."))
    ticket = None
    ticket_id = request.POST.get("ticket") or request.GET.get("ticket")
    if ticket_id:
        try:
            ticket = selectors.ticket_capa(viewer=request.user, ticket_id=int(ticket_id)).ticket
        except (NotFound, ValueError):
            raise Http404(gettext("No such ticket.")) from None
    kwargs = {"owners": _owner_choices(request.user), "categories": _category_choices()}
    if request.method == "POST":
        form = f.RaiseForm(request.POST, **kwargs)
        if form.is_valid():
            d = form.cleaned_data
            try:
                action = services.action_raise(
                    actor=request.user, kind=d["kind"], title=d["title"], description=d["description"],
                    owner=d["owner"], working_days=d["working_days"], due_date=d["due_date"],
                    ticket_id=ticket.pk if ticket else None, category=d["category"], source_note=d["source_note"])
            except ValidationFailed as exc:
                add_service_errors(form, exc)
            except (Forbidden, NotFound) as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, gettext("Raised: %(number)s.") % {"number": action.number})
                return redirect("capa:action", action_id=action.pk)
        status = 422
    else:
        initial = {"kind": ActionKind.CORRECTIVE, "working_days": 10}
        if ticket is not None:
            initial.update(ticket=ticket.pk, title=ticket.title)
        elif request.GET.get("category"):
            initial["category"] = request.GET["category"]
        form = f.RaiseForm(initial=initial, **kwargs)
        status = 200
    return render(request, "capa/new.html", {"nav_active": "capa", "form": describe_errors(form), "ticket": ticket},
                  status=status)


# -- the action page ---------------------------------------------------------------------------

STEPS = {
    Step.NOTE_PROGRESS: (lambda a, u, t, v: services.action_note_progress(action_id=a, actor=u, text=t, expected_version=v), ""),
    Step.SUBMIT: (lambda a, u, t, v: services.action_submit(action_id=a, actor=u, text=t, expected_version=v), "primary"),
    Step.VERIFY_EFFECTIVE: (lambda a, u, t, v: services.action_verify(action_id=a, actor=u, effective=True, note=t, expected_version=v), "primary"),
    Step.VERIFY_INEFFECTIVE: (lambda a, u, t, v: services.action_verify(action_id=a, actor=u, effective=False, note=t, expected_version=v), "danger"),
    Step.CLOSE: (lambda a, u, t, v: services.action_close(action_id=a, actor=u, note=t, expected_version=v), "primary"),
    Step.CANCEL: (lambda a, u, t, v: services.action_cancel(action_id=a, actor=u, reason=t, expected_version=v), "danger"),
}
STEP_FIELD = {Step.CANCEL: "reason"}  # the service's name of the text field, where not "text"/"note"


def _event_rows(events) -> list[dict]:
    rows = []
    for e in events:
        p = e.payload or {}
        text = p.get("text") or p.get("note") or p.get("reason") or ""
        if p.get("linked_ticket"):
            text = gettext("Ticket %(number)s linked.") % {"number": p["linked_ticket"]}
        rows.append({"label": _label(ActionEventType, e.type), "at": _local(e.created_at),
                     "iso": e.created_at.isoformat(), "actor": str(e.actor) if e.actor_id else gettext("system"),
                     "text": text, "type": e.type})
    return rows


def _page(request, action_id: int, *, bound: tuple[Step, f.NoteForm] | None = None, link_form=None, status=200):
    try:
        page = selectors.action_page(viewer=request.user, action_id=action_id)
    except NotFound:
        raise Http404(gettext("No such corrective action.")) from None
    a = page.action
    forms = []
    for step in page.allowed_steps:
        if bound is not None and bound[0] == step:
            form = describe_errors(bound[1])
        else:
            form = f.NoteForm(initial={"expected_version": a.version}, prefix=step.value)
        forms.append({"step": step, "label": step.label, "form": form, "style": STEPS[step][1],
                      "open": bound is not None and bound[0] == step,
                      "url": reverse("capa:step", args=[a.pk, step.value])})
    return render(request, "capa/action.html", {
        "nav_active": "capa", "page": page, "a": a, "forms": forms,
        "kind": _label(ActionKind, a.kind), "state": _label(ActionState, a.state),
        "source": _label(ActionSource, a.source), "due": _local(a.due_at), "raised": _local(a.raised_at),
        "events": _event_rows(page.events),
        "hidden_tickets": a.tickets.count() - len(page.tickets),
        "link_form": describe_errors(link_form) if link_form is not None else (
            f.LinkForm(initial={"expected_version": a.version}, prefix="link") if page.may_link else None),
    }, status=status)


@login_required
@require_POST
def action_link(request, action_id: int):
    form = f.LinkForm(request.POST, prefix="link")
    if form.is_valid():
        try:
            services.action_link_ticket(action_id=action_id, actor=request.user, ticket_number=form.cleaned_data["ticket"],
                                        expected_version=form.cleaned_data["expected_version"])
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        except (Conflict, Forbidden) as exc:
            messages.warning(request, str(exc.message))
            return redirect("capa:action", action_id=action_id)
        except NotFound:
            raise Http404(gettext("No such corrective action.")) from None
        else:
            messages.success(request, gettext("Ticket %(number)s linked.") % {"number": form.cleaned_data["ticket"]})
            return redirect("capa:action", action_id=action_id)
    return _page(request, action_id, link_form=form, status=422)


@login_required
@require_GET
def action_detail(request, action_id: int):
    return _page(request, action_id)


@login_required
@require_POST
def action_step(request, action_id: int, step: str):
    try:
        step = Step(step)
    except ValueError:
        raise Http404(gettext("No such step.")) from None
    form = f.NoteForm(request.POST, prefix=step.value)
    if form.is_valid():
        call = STEPS[step][0]
        try:
            action = call(action_id, request.user, form.cleaned_data["text"], form.cleaned_data["expected_version"])
        except ValidationFailed as exc:
            add_service_errors(form, exc, aliases={"note": "text", "reason": "text"})
        except (Conflict, Forbidden) as exc:
            messages.warning(request, str(exc.message))
            return redirect("capa:action", action_id=action_id)
        except NotFound:
            raise Http404(gettext("No such corrective action.")) from None
        else:
            messages.success(request, gettext("Done: %(step)s. The action is now “%(state)s”.") % {
                "step": step.label, "state": _label(ActionState, action.state)})
            return redirect("capa:action", action_id=action_id)
    return _page(request, action_id, bound=(step, form), status=422)


# -- the ticket page's panel -------------------------------------------------------------------

def _panel(request, ticket_id: int, *, form=None, notice="", status=200):
    try:
        capa = selectors.ticket_capa(viewer=request.user, ticket_id=ticket_id)
    except NotFound:
        raise Http404(gettext("No such ticket.")) from None
    record = capa.record
    if form is None and capa.may_record:
        initial = {"expected_version": record.version if record else 0,
                   "root_cause": record.root_cause.code if record and record.root_cause_id else "",
                   "analysis": record.analysis if record else "", "accountability": capa.accountability}
        form = f.RootCauseForm(initial=initial, choices=selectors.root_cause_choices(),
                               with_accountability=capa.sees_accountability)
    t = capa.ticket
    return render(request, "capa/_ticket_panel.html", {
        "capa": capa, "ticket": t, "record": record, "form": describe_errors(form) if form else None,
        "notice": notice, "recorded": _local(record.recorded_at) if record else "",
        "cause": t.get_cause_display() if t.cause else "",
        "responsible_department": t.responsible_department.display_name if t.responsible_department_id else "",
        "actions": [{"a": a, "state": _label(ActionState, a.state), "due": _local(a.due_at)} for a in capa.actions],
    }, status=status)


@login_required
@require_GET
def ticket_panel(request, ticket_id: int):
    return _panel(request, ticket_id)


@login_required
@require_POST
def ticket_root_cause(request, ticket_id: int):
    try:
        capa = selectors.ticket_capa(viewer=request.user, ticket_id=ticket_id)
    except NotFound:
        raise Http404(gettext("No such ticket.")) from None
    form = f.RootCauseForm(request.POST, choices=selectors.root_cause_choices(),
                           with_accountability=capa.sees_accountability)
    htmx = bool(getattr(request, "htmx", False))
    if form.is_valid():
        d = form.cleaned_data
        try:
            root_cause_record(ticket_id=ticket_id, actor=request.user, root_cause=d["root_cause"],
                              analysis=d["analysis"],
                              accountability=d["accountability"] if "accountability" in form.fields else None,
                              expected_version=d["expected_version"])
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        except (Conflict, Forbidden) as exc:
            if not htmx:
                messages.warning(request, str(exc.message))
                return redirect("workbench:ticket", ticket_id=ticket_id)
            return _panel(request, ticket_id, notice=str(exc.message))
        except NotFound:
            raise Http404(gettext("No such ticket.")) from None
        else:
            if not htmx:
                messages.success(request, gettext("The root cause is recorded."))
                return redirect("workbench:ticket", ticket_id=ticket_id)
            return _panel(request, ticket_id, notice=gettext("The root cause is recorded."))
    return _panel(request, ticket_id, form=form, status=200 if htmx else 422)


urlpatterns = [
    path("", worklist, name="worklist"),
    path("new/", action_new, name="new"),
    path("<int:action_id>/", action_detail, name="action"),
    path("<int:action_id>/tickets/", action_link, name="link"),
    path("<int:action_id>/<slug:step>/", action_step, name="step"),
    path("ticket/<int:ticket_id>/", ticket_panel, name="ticket_panel"),
    path("ticket/<int:ticket_id>/root-cause/", ticket_root_cause, name="ticket_root_cause"),
]
