"""The complaint ledger (投诉台账) and the case dossiers (投诉处理档案) in the workbench (001: 以备检索).

- /ledger/: the worklist of entries in the viewer's scope with search and filters (org unit,
  period entered, entry state, the ticket's state, category, department); keyset pages;
- /ledger/export.xlsx: the same entries as an Excel workbook (sla.selectors → core/xlsx.py);
- /ledger/<id>/: the entry with its dossier — the snapshot of the case when it was escalated
  (ticket, customer, assignments, history, people) — and the instructions (批示) and follow-up
  notes written since; printable (static print stylesheet);
- /ledger/<id>/notes/: POST one instruction or note through its one writer
  (sla.services.ledger.dossier_note_add), then back to the dossier (PRG).
Every read goes through the viewer-scoped selectors: an entry out of scope is a 404.
"""

from __future__ import annotations

import datetime as dt
import tempfile

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from complaintdesk.accounts.roles import Role
from complaintdesk.audit.services import access_record
from complaintdesk.audit.vocabulary import AccessKind
from complaintdesk.core.errors import DomainError, NotFound, ValidationFailed
from complaintdesk.core.i18n import pick
from complaintdesk.org.models import Department, OrgUnit
from complaintdesk.sla import selectors as ledger_selectors
from complaintdesk.sla.services.dossier_notes import dossier_note_add
from complaintdesk.sla.vocabulary import (
    ClockType,
    DossierNoteKind,
    LedgerReason,
    dossier_note_allowed,
)
from complaintdesk.taxonomy.models import Category
from complaintdesk.tickets.facts import sees_full_phones
from complaintdesk.tickets.vocabulary import EventType, Kind, Severity, State

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ENTRY_STATES = (("open", _("Open (the ticket is not closed)")), ("resolved", _("Resolved (the ticket closed)")))


def _label(enum, value) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return str(value or "")


def _local(value) -> str:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class LedgerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False,
                        help_text=_("A ticket number, a phone number, or words of the title and summary."))
    org_unit = forms.ChoiceField(label=_("Org unit"), required=False, choices=())
    department = forms.ChoiceField(label=_("Department"), required=False, choices=())
    date_from = forms.DateField(label=_("Entered from"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label=_("Entered until (inclusive)"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    state = forms.ChoiceField(label=_("Entry state"), required=False, choices=())
    ticket_state = forms.ChoiceField(label=_("Ticket state"), required=False, choices=())
    category = forms.ChoiceField(label=_("Category"), required=False, choices=())
    cursor = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args, units=(), departments=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        any_ = [("", gettext("Any"))]
        self.fields["org_unit"].choices = any_ + list(units)
        self.fields["department"].choices = any_ + list(departments)
        self.fields["category"].choices = any_ + list(categories)
        self.fields["state"].choices = any_ + list(ENTRY_STATES)
        self.fields["ticket_state"].choices = any_ + list(State.choices())

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", gettext("The end date must not be before the start date."))
        return data


def _choices() -> dict:
    """The filters' choices: three small tables, one query each."""
    def indent(node) -> str:
        return "\u3000" * (len(node.path) // node.steplen - 1)

    kinds = {m.value: str(m.label) for m in Kind}
    return {
        "units": [(u.code, indent(u) + u.display_name) for u in OrgUnit.objects.order_by("path")],
        "departments": [(d.code, d.display_name) for d in Department.objects.order_by("code")],
        "categories": [(c.code, f"{indent(c)}{c.display_name} · {kinds.get(c.kind, c.kind)}")
                       for c in Category.objects.order_by("path")],
    }


def _day_start(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


def _selector_filters(data: dict) -> dict:
    end = data.get("date_to")
    return {
        "q": data.get("q") or "", "org_unit": data.get("org_unit") or "",
        "department": data.get("department") or "",
        "date_from": _day_start(data.get("date_from")),
        "date_to": _day_start(end + dt.timedelta(days=1)) if end else None,
        "open_only": data.get("state") == "open", "resolved_only": data.get("state") == "resolved",
        "ticket_state": data.get("ticket_state") or "", "category": data.get("category") or "",
    }


def _service_errors(form, exc: ValidationFailed):
    for item in exc.fields:
        name = {"date_from": "date_from", "date_to": "date_to"}.get(item.field, item.field)
        form.add_error(name if name in form.fields else None, str(item.reason))
    if not exc.fields:
        form.add_error(None, str(exc.message))


def _row(e, words) -> dict:
    clock = e.clock
    return {
        "id": e.pk, "ticket_id": e.ticket_id, "number": e.ticket.number or e.ticket_id, "title": e.ticket.title,
        "why": words["clock"].get(clock.clock, clock.clock) if clock else words["reason"].get(e.reason, e.reason),
        "level": e.level, "unit": e.org_unit.display_name,
        "department": e.department.display_name if e.department_id else "",
        "category": e.ticket.category.display_name if e.ticket.category_id else "",
        "state": words["state"].get(e.ticket.state, e.ticket.state),
        "opened": _local(e.opened_at), "opened_iso": e.opened_at.isoformat(),
        "resolved": _local(e.resolved_at), "instructions": e.instructions or 0, "follow_ups": e.follow_ups or 0,
        "has_dossier": e.has_dossier,
    }


@login_required
@require_GET
def ledger_list(request):
    choices = _choices()
    form = LedgerFilterForm(request.GET or None, **choices)
    rows, next_cursor, status = [], None, 200
    if form.is_bound and not form.is_valid():
        status = 422
    else:
        data = form.cleaned_data if form.is_bound else {}
        try:
            page = ledger_selectors.ledger_search(viewer=request.user, cursor=data.get("cursor") or "",
                                                  limit=PAGE_SIZE, with_notes=True, **_selector_filters(data))
        except ValidationFailed as exc:
            _service_errors(form, exc)
            status = 422
        else:
            words = {"clock": {m.value: str(m.label) for m in ClockType},
                     "reason": {m.value: str(m.label) for m in LedgerReason},
                     "state": {m.value: str(m.label) for m in State}}
            rows = [_row(e, words) for e in page.items]
            next_cursor = page.next_cursor
    params = [(k, v) for k, v in request.GET.items() if k != "cursor" and v]
    return render(request, "workbench/ledger.html", {
        "form": form, "rows": rows, "nav_active": "ledger",
        "next_url": f"?{urlencode(params + [('cursor', next_cursor)])}" if next_cursor else "",
        "export_query": urlencode(params), "filtered": bool(params),
    }, status=status)


@login_required
@require_GET
def ledger_export(request):
    form = LedgerFilterForm(request.GET or None, **_choices())
    if form.is_bound and not form.is_valid():
        return ledger_list(request)
    data = form.cleaned_data if form.is_bound else {}
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    customers: set[int] = set()
    try:
        ledger_selectors.ledger_export_xlsx(viewer=request.user, out=out, customers=customers,
                                            **_selector_filters(data))
    except ValidationFailed:
        out.close()
        return ledger_list(request)
    access_record(actor=request.user, kind=AccessKind.LEDGER_EXPORT, customer_ids=customers,
                  path=request.get_full_path())
    out.seek(0)
    name = f"ledger-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)


# -- the dossier --------------------------------------------------------------------------------

_EVENT_TEXT_KEYS = ("text", "notes", "reason", "note", "answer", "plan", "question")


def _snapshot_view(snapshot: dict) -> dict | None:
    """The dossier's snapshot as the page shows it: labels in the reader's language, times
    local, people by name (the snapshot names them: no query)."""
    if not snapshot:
        return None
    names = ledger_selectors.snapshot_people(snapshot)
    ticket = snapshot.get("ticket") or {}
    category = ticket.get("category") or {}
    customer = snapshot.get("customer") or {}
    clock = snapshot.get("clock") or {}
    events = []
    for e in snapshot.get("events") or []:
        payload = e.get("payload") or {}
        detail = next((str(payload[k]) for k in _EVENT_TEXT_KEYS if payload.get(k)), "")
        events.append({
            "label": _label(EventType, e.get("type")), "at": _local(e.get("at")),
            "actor": names.get(e.get("actor_id"), gettext("system")) if e.get("actor_id") else gettext("system"),
            "to_state": _label(State, e.get("to_state")) if e.get("to_state") and e.get("to_state") != e.get("from_state") else "",
            "detail": detail[:500] + ("…" if len(detail) > 500 else ""),
        })
    unit_name = lambda ref: pick(ref.get("name", ""), ref.get("name_en", "")) if ref else ""  # noqa: E731
    return {
        "taken_at": _local(snapshot.get("taken_at")),
        "ticket": {
            "number": ticket.get("number") or "", "title": ticket.get("title", ""),
            "kind": _label(Kind, ticket.get("kind")), "state": _label(State, ticket.get("state")),
            "severity": _label(Severity, ticket.get("severity")), "category": unit_name(category),
            "description": ticket.get("description", ""), "phone": ticket.get("contact_phone", ""),
            "registered": _local(ticket.get("created_at")), "special": ticket.get("special"),
            "department": unit_name(ticket.get("lead_department")), "unit": unit_name(ticket.get("org_unit")),
        },
        "customer": {"name": customer.get("name", ""), "phones": customer.get("phones") or []},
        "clock": {"label": _label(ClockType, clock.get("clock")), "due": _local(clock.get("due_at")),
                  "breached": _local(clock.get("breached_at"))} if clock else None,
        "assignments": [{
            "department": unit_name(a.get("department")), "role": a.get("role", ""),
            "dispatched": _local(a.get("dispatched_at")), "acknowledged": _local(a.get("acknowledged_at")),
            "ended": _local(a.get("ended_at")), "assignee": names.get(a.get("assignee_id"), ""),
        } for a in snapshot.get("assignments") or []],
        "events": events,
        "people": [{
            "name": p.get("name", ""), "role": _label(Role, p.get("role")),
            "department": unit_name(p.get("department")), "unit": unit_name(p.get("org_unit")),
            "involvement": "、".join(p.get("involvement") or []),
        } for p in snapshot.get("people") or []],
    }


def _entry(request, entry_id: int):
    try:
        return ledger_selectors.ledger_get(viewer=request.user, entry_id=entry_id)
    except NotFound:
        raise Http404(gettext("No such ledger entry.")) from None


NOTE_FORM_FIELDS = {DossierNoteKind.INSTRUCTION: "instruction", DossierNoteKind.FOLLOW_UP: "follow_up"}


def _dossier_page(request, entry, *, status=200, errors=None, typed=None):
    dossier = getattr(entry, "dossier", None)
    full = sees_full_phones(request.user, entry.ticket)
    snapshot = ledger_selectors.dossier_shown(dossier.snapshot, full_phones=full) if dossier else None
    access_record(actor=request.user, kind=AccessKind.LEDGER_ENTRY_PAGE, customer_ids=[entry.ticket.customer_id],
                  ticket_id=entry.ticket_id, full_phones=full, path=request.path)
    notes = [{"kind": n.kind, "kind_label": _label(DossierNoteKind, n.kind), "text": n.text,
              "author": n.author.display_name or n.author.username, "at": _local(n.created_at),
              "iso": n.created_at.isoformat()} for n in ledger_selectors.dossier_notes(entry=entry)]
    may = [k for k in DossierNoteKind if dossier_note_allowed(request.user.role, k)]
    clock = entry.clock
    return render(request, "workbench/ledger_entry.html", {
        "entry": entry, "nav_active": "ledger",
        "why": _label(ClockType, clock.clock) if clock else _label(LedgerReason, entry.reason),
        "opened": _local(entry.opened_at), "resolved": _local(entry.resolved_at),
        "due": _local(clock.due_at) if clock else "", "breached": _local(clock.breached_at) if clock else "",
        "ticket_state": _label(State, entry.ticket.state),
        "snapshot": _snapshot_view(snapshot) if snapshot is not None else None,
        "notes": notes, "instructions": [n for n in notes if n["kind"] == DossierNoteKind.INSTRUCTION],
        "follow_ups": [n for n in notes if n["kind"] == DossierNoteKind.FOLLOW_UP],
        "may_write": [{"kind": k.value, "label": k.label, "errors": (errors or {}).get(k.value, []),
                       "typed": (typed or {}).get(k.value, "")} for k in may],
        "printed_at": _local(timezone.now()),
    }, status=status)


@login_required
@require_GET
def ledger_entry(request, entry_id: int):
    return _dossier_page(request, _entry(request, entry_id))


@login_required
@require_POST
def ledger_note_add(request, entry_id: int):
    entry = _entry(request, entry_id)
    kind = (request.POST.get("kind") or "")[:20]
    text = (request.POST.get("text") or "")[:4001]
    try:
        dossier_note_add(entry=entry, actor=request.user, kind=kind, text=text)
    except ValidationFailed as exc:
        reasons = [str(f.reason) for f in exc.fields] or [str(exc.message)]
        return _dossier_page(request, entry, status=422, errors={kind: reasons}, typed={kind: text})
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, gettext("Written on the dossier: %(kind)s.") % {
            "kind": _label(DossierNoteKind, kind)})
    return redirect("workbench:ledger_entry", entry_id=entry.pk)


urlpatterns = [
    path("ledger/", ledger_list, name="ledger"),
    path("ledger/export.xlsx", ledger_export, name="ledger_export"),
    path("ledger/<int:entry_id>/", ledger_entry, name="ledger_entry"),
    path("ledger/<int:entry_id>/notes/", ledger_note_add, name="ledger_note_add"),
]
