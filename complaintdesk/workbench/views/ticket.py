"""The ticket page (/tickets/<id>/) and its actions.

The page shows only the actions the viewer may take now (`allowed_actions` of the workflow,
the guards the API uses); each is a small form posting to its own endpoint
(/tickets/<id>/<action>/), which calls the one service function of that action. Every form
carries the version the page was rendered with: when someone else acted first the service
refuses (Conflict) and the viewer gets a plain message and the page as it now is.

With htmx a form swaps the page's main section (#ticket-main); without JS it is POST →
redirect → GET, and a form with errors is shown again with what was typed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import linebreaksbr
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from complaintdesk.audit.services import access_record
from complaintdesk.audit.vocabulary import AccessKind
from complaintdesk.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from complaintdesk.core.i18n import pick
from complaintdesk.core.phones import phone_shown
from complaintdesk.desk.vocabulary import LinkType
from complaintdesk.portal.selectors import portal_rating
from complaintdesk.regulators import selectors as regulator_selectors
from complaintdesk.regulators.services.hints import hint_text
from complaintdesk.regulators.vocabulary import DayBasis
from complaintdesk.screening.services.special import history_due_at
from complaintdesk.screening.vocabulary import PhraseMeaning
from complaintdesk.sla.vocabulary import ClockState, ClockType, DurationUnit
from complaintdesk.taxonomy.models import ElementType
from complaintdesk.tickets import selectors as ticket_selectors
from complaintdesk.tickets import workflow
from complaintdesk.tickets.facts import (
    actor_facts,
    callback_max_attempts,
    sees_full_phones,
    ticket_flags,
)
from complaintdesk.tickets.services import attachments as attachment_services
from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.vocabulary import (
    Action,
    AssignmentRole,
    CallbackOutcome,
    CallbackTopic,
    Cause,
    Channel,
    EventType,
    Kind,
    Resolution,
    Satisfaction,
    Severity,
    SourceTier,
    State,
    TicketFlag,
)
from complaintdesk.tickets.workflow import TicketFacts
from complaintdesk.workbench import forms as f
from complaintdesk.workbench import selectors

log = logging.getLogger(__name__)

# -- the actions: form, service call -----------------------------------------------------------


@dataclass(frozen=True)
class ActionSpec:
    action: Action
    form: type[f.ActionForm]
    service: Callable
    fixed: dict = field(default_factory=dict)  # arguments the endpoint itself decides
    versioned: bool = True  # urge and supervise repeat by nature: no version check
    style: str = ""  # "primary" for the action that moves the ticket on, "danger" to refuse

    @property
    def slug(self) -> str:
        return self.action.value.replace("_", "-")

    def call(self, *, ticket_id: int, actor, data: dict, version: int | None):
        kwargs = {**data, **self.fixed}
        if self.versioned:
            kwargs["expected_version"] = version
        return self.service(ticket_id=ticket_id, actor=actor, **kwargs)


A = Action
_SPECS = [
    ActionSpec(A.REVIEW_VALID, f.ReviewValidForm, t.ticket_review, {"valid": True}, style="primary"),
    ActionSpec(A.REVIEW_INVALID, f.ReviewInvalidForm, t.ticket_review, {"valid": False}, style="danger"),
    ActionSpec(A.RESOLVE_ON_SPOT, f.AnswerForm, t.ticket_resolve_on_spot),
    ActionSpec(A.DISPATCH, f.DispatchForm, t.ticket_dispatch, style="primary"),
    ActionSpec(A.ACKNOWLEDGE, f.EmptyForm, t.ticket_acknowledge, style="primary"),
    ActionSpec(A.SUBMIT_PLAN, f.PlanForm, t.ticket_submit_plan, style="primary"),
    ActionSpec(A.APPROVE_PLAN, f.NoteForm, t.ticket_approve_plan, {"approve": True}, style="primary"),
    ActionSpec(A.REJECT_PLAN, f.RequiredNoteForm, t.ticket_approve_plan, {"approve": False}, style="danger"),
    ActionSpec(A.HANDLE, f.HandleForm, t.ticket_handle, style="primary"),
    ActionSpec(A.AUDIT_APPROVE, f.NoteForm, t.ticket_audit, {"approve": True}, style="primary"),
    ActionSpec(A.AUDIT_REJECT, f.RequiredNoteForm, t.ticket_audit, {"approve": False}, style="danger"),
    ActionSpec(A.REPLY, f.ReplyForm, t.ticket_reply, style="primary"),
    ActionSpec(A.CALLBACK, f.CallbackForm, t.ticket_callback, style="primary"),
    ActionSpec(A.CALLBACK_ATTEMPT, f.CallbackAttemptForm, t.ticket_callback_attempt),
    ActionSpec(A.CLOSE, f.ReasonForm, t.ticket_close),
    ActionSpec(A.ARCHIVE, f.EmptyForm, t.ticket_archive),
    ActionSpec(A.REOPEN, f.ReasonForm, t.ticket_reopen),
    ActionSpec(A.TRANSFER, f.TransferForm, t.ticket_transfer),
    ActionSpec(A.RETURN, f.ReasonForm, t.ticket_return, style="danger"),
    ActionSpec(A.CO_HANDLE, f.CoHandleForm, t.ticket_co_handle),
    ActionSpec(A.ASSIST_INPUT, f.AssistForm, t.ticket_assist_input, style="primary"),
    ActionSpec(A.REPORT_PROGRESS, f.ProgressForm, t.ticket_report_progress),
    ActionSpec(A.REQUEST_INFO, f.QuestionForm, t.ticket_request_info),
    ActionSpec(A.INFO_RECEIVED, f.InfoReceivedForm, t.ticket_info_received),
    ActionSpec(A.SET_AGREED_TIME, f.AgreedTimeForm, t.ticket_set_agreed_time),
    ActionSpec(A.GATHER_HISTORY, f.HistoryForm, t.ticket_gather_history),
    ActionSpec(A.SET_SPECIAL_TYPE, f.SpecialTypeForm, t.ticket_set_special_type),
    ActionSpec(A.SET_SOURCE, f.SourceForm, t.ticket_set_source),
    ActionSpec(A.EXTEND_REGULATOR_DEADLINE, f.ExtendRegulatorForm, t.ticket_extend_regulator_deadline),
    ActionSpec(A.UNLINK_REPEAT, f.UnlinkForm, t.ticket_unlink_repeat),
    ActionSpec(A.URGE, f.NoteForm, t.ticket_urge, versioned=False),
    ActionSpec(A.SUPERVISE, f.NoteForm, t.ticket_supervise, versioned=False),
]
ACTIONS: dict[str, ActionSpec] = {s.slug: s for s in _SPECS}
ORDER = {s.action.value: i for i, s in enumerate(_SPECS)}
assert set(ORDER) == {a.value for a in Action}, "every workflow action needs a form"


# -- presentation of what the selectors read ----------------------------------------------------


def _duration(seconds: int, *, days: bool = True) -> str:
    """'2 d 5 h', '3 h 10 min', '25 min'; working time in hours only (a working day is not
    24 hours)."""
    minutes = abs(int(seconds)) // 60
    days, rest = divmod(minutes, 24 * 60) if days else (0, minutes)
    hours, mins = divmod(rest, 60)
    if days:
        return gettext("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return gettext("%(h)d h %(m)d min") % {"h": hours, "m": mins}
    return gettext("%(m)d min") % {"m": mins}


def _local(value: dt.datetime | None) -> str:
    # Formatted here, not with the |date filter: the page formats dozens of times per view.
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _parse(value):
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _label(enum, value) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return str(value or "")


def _rule_text(rule: str | None) -> str:
    text = rule or ""
    for unit in DurationUnit:
        text = text.replace(unit.value, str(unit.label))
    text = text.replace(DayBasis.CALENDAR_DAYS.value, str(DayBasis.CALENDAR_DAYS.label))
    return text.replace("daily_at", gettext("daily at")).replace("after", gettext("after"))


def _clock_rows(clocks, now) -> list[dict]:
    rows = []
    for c in clocks:
        status, left = "ok", ""
        if c.state == ClockState.MISSED or (c.remaining_seconds is not None and c.remaining_seconds < 0):
            status = "overdue"
        elif c.state == ClockState.RUNNING and c.warn_at is not None and c.warn_at <= now:
            status = "at-risk"
        elif c.state == ClockState.PAUSED:
            status = "paused"
        elif c.state == ClockState.MET:
            status = "met"
        if c.state == ClockState.RUNNING and c.remaining_seconds is not None:
            if c.remaining_seconds < 0:
                left = gettext("overdue by %(time)s") % {"time": _duration(c.remaining_seconds)}
            else:
                left = gettext("%(time)s left") % {"time": _duration(c.remaining_seconds)}
        if c.remaining_working_minutes is not None and c.state in (ClockState.RUNNING, ClockState.PAUSED):
            working = gettext("%(time)s of working time left") % {
                "time": _duration(max(c.remaining_working_minutes, 0) * 60, days=False)}
            left = f"{left} ({working})" if left else working
        e = c.explanation or {}
        calendar = e.get("calendar") or {}
        policy = e.get("policy") or {}
        own = e.get("own") or {}
        if own:  # the regulator's deadline: its profile (or its stated date) in place of a policy
            regulator = (own.get("source") or {}).get("regulator") or {}
            policy = {"name": gettext("Regulator: %(name)s") % {"name": regulator.get("name") or "—"},
                      "name_en": gettext("Regulator: %(name)s") % {"name": regulator.get("name_en")
                                                                  or regulator.get("name") or "—"}}
            if own.get("due_at") and not e.get("rule"):
                e = {**e, "rule": gettext("the deadline the regulator stated")}
        badge = _label(ClockState, c.state)
        if status == "at-risk":
            badge = f"{badge} · {gettext('at risk')}"
        elif status == "overdue" and c.state == ClockState.RUNNING:
            badge = f"{badge} · {gettext('overdue')}"
        label = _label(ClockType, c.clock)
        if c.cycle:
            label = f"{label} ({gettext('round %(n)s') % {'n': c.cycle}})"
        rows.append({
            "clock": c.clock, "label": label, "cycle": c.cycle,
            "state": c.state, "badge": badge, "status": status,
            "due": _local(c.due_at) or "—", "left": left or "—", "calendar_missing": c.calendar_missing,
            "escalated": gettext("escalated ×%(n)s") % {"n": c.escalation_level} if c.escalation_level else "",
            "explain": {
                "policy": pick(policy.get("name", ""), policy.get("name_en", "")) if policy else "",
                "rule": _rule_text(e.get("rule")),
                "calendar": pick(calendar.get("name", ""), calendar.get("name_en", "")),
                "always_open": calendar.get("always_open"),
                "hours": [f"{a}–{b}" for a, b in calendar.get("hours") or []],
                "time_zone": calendar.get("time_zone", ""),
                "start": _parse(e.get("start")),
                "from_first_report": e.get("start_basis") == "first_report",
                "pauses": [(_parse(p.get("from")), _parse(p.get("to"))) for p in e.get("pauses") or []],
                "agreed_time": _parse(e.get("agreed_time")),
                "kept": bool(e.get("kept_from")),
                "missing_years": e.get("missing_years") or [],
            },
        })
    return rows


# Payload keys shown in the timeline, with their labels; the rest (ids, codes already shown
# elsewhere) stays in the log.
_PAYLOAD_LABELS = {
    "department": _("Department"), "departments": _("Departments"), "assignee": _("Staff account"),
    "from_department": _("From department"), "reason": _("Reason"), "note": _("Note"),
    "answer": _("Answer"), "text": _("Text"), "notes": _("Handling notes"), "plan": _("Plan"),
    "question": _("Question"), "cause": _("Cause"), "satisfaction": _("Satisfaction"),
    "severity": _("Severity"), "special": _("Special case"), "partial": _("Partly done"),
    "outcome": _("Outcome"), "responsible_department": _("Responsible department"),
    "responsible_person": _("Responsible person"), "customer_accepts": _("Customer accepts"),
    "agreed_time": _("Agreed time"), "name": _("File name"), "channel": _("Channel"),
    "source_tier": _("Source tier"), "regulator_ref": _("Regulator's reference"),
    "regulator_due_at": _("Regulator's reply deadline"), "repeat_of": _("Repeat of"),
    "over_the_head": _("Over the head"), "severity_before": _("Severity before"),
    "special_phrases": _("Matched phrases"), "special_type": _("Special complainant type"),
    "checked": _("Gathered"), "people": _("People involved"), "on_time": _("Within one working day"),
    "attempt": _("Failed attempts so far"),
    "call_again_at": _("Call again at"), "topics": _("Topics talked about"),
    "gives_up": _("Callback given up"),
    # capa/: a root cause recorded, a corrective action raised (never the accountability note).
    "root_cause_name": _("Root cause"), "analysis": _("Cause analysis"), "capa": _("Corrective action"),
    "mentions": _("Mentioned"), "org_unit": _("Org unit"), "into": _("Merged into"),
    "duplicate": _("Duplicate merged in"), "other": _("Other ticket"), "link": _("Link type"),
    # imports/: the batch, file, sheet row and source id a ticket was imported from.
    "batch": _("Import batch"), "file": _("Imported file"), "row": _("Sheet row"), "source_id": _("Source id"),
    "incomplete": _("Required elements missing (flagged for review)"),
    "regulator": _("Regulator"), "total": _("Days from the transfer"), "approved_by": _("Approved by"),
    "previous_due_at": _("Previous deadline"),
}


def _payload_value(key, value, departments: dict[str, str]):
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if key in ("department", "from_department", "responsible_department"):
        return selectors.department_name(departments, value)
    if key == "departments":
        return "、".join(selectors.department_name(departments, v) for v in value or [])
    if key == "cause":
        return _label(Cause, value)
    if key == "satisfaction":
        return _label(Satisfaction, value)
    if key == "severity":
        return _label(Severity, value)
    if key == "channel":
        return _label(Channel, value)
    if key == "source_tier":
        return _label(SourceTier, value)
    if key == "severity_before":
        return _label(Severity, value)
    if key == "mentions":
        return "、".join(f"@{v}" for v in value or [])
    if key == "link":
        return _label(LinkType, value)
    if key == "checked":
        items = dict(f.HISTORY_ITEMS)
        return "、".join(str(items.get(v, v)) for v in value or [])
    if key == "outcome":
        return _label(CallbackOutcome, value)
    if key == "topics":
        return "、".join(_label(CallbackTopic, v) for v in value or [])
    if key == "call_again_at":
        parsed = _parse(value)
        return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M") if parsed else value
    if key in ("special_phrases", "incomplete"):
        return "、".join(str(v) for v in value or [])
    if key in ("regulator_due_at", "previous_due_at"):
        parsed = _parse(value)
        return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M") if parsed else value
    if key == "agreed_time":
        parsed = _parse(value)
        return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M") if parsed else value
    return str(value)


def _timeline(events, departments: dict[str, str], merged: dict | None = None) -> list[dict]:
    """The events as the page shows them, formatted here (a long timeline costs a fraction
    of what the same loop costs in the template language). Events of a duplicate merged into
    this ticket (`merged`: id → number) are marked with its number."""
    rows = []
    system = gettext("system")
    merged = merged or {}
    from_duplicate = gettext("from merged duplicate %(number)s")
    for e in events:
        payload = e["payload"] or {}
        details = [
            (str(label), linebreaksbr(_payload_value(key, payload[key], departments), autoescape=True))
            for key, label in _PAYLOAD_LABELS.items()
            if key in payload and payload[key] not in (None, "", [])
        ]
        to_state = ""
        if e["to_state"] and e["to_state"] != e["from_state"]:
            to_state = f" → {_label(State, e['to_state'])}"
        rows.append({
            "type": e["type"], "label": _label(EventType, e["type"]), "to_state": to_state,
            "actor": e["actor__display_name"] or e["actor__username"] or system,
            "iso": e["created_at"].isoformat(), "at": _local(e["created_at"]),
            "details": format_html_join("", "<dt>{}</dt><dd>{}</dd>", details) if details else "",
            "note": e["type"] == EventType.NOTE_ADDED,
            "source": from_duplicate % {"number": merged[e["ticket_id"]]} if e.get("ticket_id") in merged else "",
        })
    return rows


def _elements(rows, *, full_phones: bool) -> list[tuple[str, str]]:
    """(label, value as shown) of the required elements: phones formatted (or masked),
    choices labelled."""
    out = []
    for definition, key, value in rows:
        if definition is None:
            out.append((key, "" if value is None else str(value)))
            continue
        shown = "" if value is None else str(value)
        if value and definition.type == ElementType.PHONE:
            shown = phone_shown(str(value), full=full_phones)
        elif value and definition.type == ElementType.CHOICE:
            for choice in definition.choices or []:
                if choice.get("value") == value:
                    shown = pick(choice.get("label", ""), choice.get("label_en", "")) or shown
        out.append((definition.display_label, shown))
    return out


def _chain_rows(chain, ticket) -> dict | None:
    """The first ticket and its repeats, oldest first, this ticket marked."""
    if chain is None:
        return None
    rows = [{
        "id": r["id"], "number": r["number"] or r["id"], "title": r["title"],
        "state": _label(State, r["state"]), "at": _local(r["created_at"]),
        "first": r["id"] == chain.first_id, "current": r["id"] == ticket.pk,
        "over_the_head": r["over_the_head"],
        "tier": _label(SourceTier, r["source_tier"]) if r["source_tier"] != SourceTier.DIRECT else "",
    } for r in chain.tickets]
    return {"rows": rows, "hidden": chain.hidden}


def _regulator_context(ticket, clocks) -> dict | None:
    """The regulator's transfer beside our own deadline (one query, only for a transfer)."""
    if ticket.source_tier == SourceTier.DIRECT:
        return None
    transfer = regulator_selectors.ticket_transfer(ticket_id=ticket.pk)
    if transfer is None:
        return None
    ours = next((c.due_at for c in reversed(clocks) if c.clock == ClockType.TICKET), None)
    return {
        "transfer": transfer, "basis": _label(DayBasis, transfer.day_basis),
        "transferred": _local(transfer.transferred_at), "due": _local(ticket.regulator_due_at),
        "ours": _local(ours), "hints": [hint_text(h) for h in transfer.hints or []],
        "steps": regulator_selectors.regulator_steps(profile_id=transfer.profile_id),
    }


def _special_context(ticket, now) -> dict:
    """The special case's facts: the phrases that marked it, the type and its hints, the
    history check due one working day after registration (003)."""
    due = history_due_at(org_unit_id=ticket.org_unit_id, registered_at=ticket.created_at)
    done = ticket.history_gathered_at
    return {
        "phrases": [(m.get("phrase", ""), _label(PhraseMeaning, m.get("meaning", "")))
                    for m in ticket.special_matches or []],
        "type": ticket.special_type if ticket.special_type_id else None,
        "history_due": _local(due), "history_done": _local(done),
        "history_late": bool(due and ((done and done > due) or (not done and now > due))),
    }


def _action_forms(page, bound: f.ActionForm | None, bound_slug: str | None) -> list[dict]:
    specs = sorted((ACTIONS[a.replace("_", "-")] for a in page.allowed_actions),
                   key=lambda s: ORDER[s.action.value])
    out = []
    for spec in specs:
        if spec.slug == bound_slug and bound is not None:
            form = f.describe_errors(bound)
        else:
            form = spec.form(initial={"expected_version": page.ticket.version},
                             departments=page.departments, ticket=page.ticket,
                             owning_department=page.owning_department, special_types=page.special_types,
                             org_units=page.org_units, prefix=spec.slug)
        out.append({
            "spec": spec, "slug": spec.slug, "label": spec.action.label, "form": form,
            "fields": f.field_views(form),
            "version": form["expected_version"].value() or "",
            "version_errors": form["expected_version"].errors,
            "open": spec.slug == bound_slug,
            "url": reverse("workbench:ticket_action", args=[page.ticket.pk, spec.slug]),
        })
    return out


def _desk_context(request, page, bound: tuple[str, object] | None) -> dict:
    """The ticket tools' forms (note, link, merge), a bound one with its errors."""
    ticket = page.ticket
    forms_ = {"note": f.InternalNoteForm(prefix="note"), "link": f.LinkForm(prefix="link"),
              "merge": f.MergeForm(prefix="merge", initial={"expected_version": ticket.version})}
    if bound is not None:
        forms_[bound[0]] = f.describe_errors(bound[1])
    who = actor_facts(request.user)
    facts = TicketFacts(kind=Kind(ticket.kind), state=State(ticket.state), org_unit_path=ticket.org_unit.path,
                        owner_id=ticket.owner_id)
    return {
        **forms_,
        "links": [{"row": r, "type_label": _label(LinkType, r.type), "state_label": _label(State, r.other_state)}
                  for r in page.links],
        "may_note": workflow.note_refusal(who, facts) is None,
        "may_link": request.user.role in workflow.LINKERS and ticket.state != State.ARCHIVED,
        "may_merge": request.user.role in workflow.MERGERS and workflow.is_open(State(ticket.state)),
        "open": bound[0] if bound else "",
    }


def _context(request, page, *, bound=None, bound_slug=None, notice=None, notice_kind="info",
             attachment_form=None, desk_bound=None) -> dict:
    ticket = page.ticket
    now = timezone.now()
    lead = [a for a in page.assignments if a.role == AssignmentRole.LEAD]
    assisting = [a for a in page.assignments if a.role == AssignmentRole.ASSISTING]
    full_phones = sees_full_phones(request.user, ticket)
    access_record(actor=request.user, kind=AccessKind.TICKET_PAGE, customer_ids=[ticket.customer_id],
                  ticket_id=ticket.pk, full_phones=full_phones, path=request.get_full_path())
    return {
        "nav_active": "worklists",
        "page": page,
        "ticket": ticket,
        "kind_label": _label(Kind, ticket.kind),
        "state_label": _label(State, ticket.state),
        "severity_label": _label(Severity, ticket.severity),
        "resolution_label": _label(Resolution, ticket.resolution) if ticket.resolution else "",
        "satisfaction_label": _label(Satisfaction, ticket.satisfaction) if ticket.satisfaction else "",
        "callback_max_attempts": callback_max_attempts(),
        "cause_label": _label(Cause, ticket.cause) if ticket.cause else "",
        "channel_label": _label(Channel, ticket.channel),
        "contact_phone": phone_shown(ticket.contact_phone, full=full_phones),
        "elements": _elements(page.elements, full_phones=full_phones),
        "clocks": _clock_rows(page.clocks, now),
        "timeline": _timeline(page.events, page.department_names, page.merged_numbers),
        "desk": _desk_context(request, page, desk_bound),
        "lead_assignments": lead,
        "assisting": assisting,
        "actions": _action_forms(page, bound, bound_slug),
        "attachment_form": f.describe_errors(attachment_form) if attachment_form else f.AttachmentForm(),
        "attachment_max_mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
        "read_only": ticket.state == State.ARCHIVED,
        "notice": notice,
        "notice_kind": notice_kind,
        "flags": [(flag, _label(TicketFlag, flag)) for flag in ticket_flags(ticket)],
        "source_tier_label": _label(SourceTier, ticket.source_tier),
        "regulator_due": _local(ticket.regulator_due_at),
        "regulator_overdue": bool(ticket.regulator_due_at and ticket.regulator_due_at < now
                                  and ticket.state not in (State.CLOSED, State.ARCHIVED)),
        "chain": _chain_rows(page.chain, ticket),
        "regulator": _regulator_context(ticket, page.clocks),
        "special": _special_context(ticket, now) if ticket.special else None,
        # The customer's own evaluation on the portal (it may come after the callback).
        "portal_rating": (portal_rating(ticket_id=ticket.pk)
                          if ticket.channel == Channel.WEB_PORTAL else None),
    }


def _partial(request) -> bool:
    """An htmx request swapping a part of the page; a boosted link or form wants the page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def _render(request, page, *, status=200, **kwargs):
    context = _context(request, page, **kwargs)
    template = "workbench/_ticket_main.html" if _partial(request) else "workbench/ticket.html"
    return render(request, template, context, status=status)


def _load(request, ticket_id: int):
    try:
        return selectors.ticket_page(viewer=request.user, ticket_id=ticket_id)
    except NotFound:
        raise Http404(gettext("No such ticket.")) from None


def _conflict_message(ticket_id: int, error: Conflict, page) -> str:
    """'This ticket was changed by X at T: it is now in state Y.'"""
    last = selectors.last_change(ticket_id=ticket_id)
    state = _label(State, page.ticket.state)
    if last is not None and last.actor is not None:
        return gettext("This ticket was changed by %(who)s at %(time)s: it is now “%(state)s”. "
                  "The page shows its current state; check it before acting again.") % {
            "who": str(last.actor), "time": timezone.localtime(last.created_at).strftime("%H:%M"),
            "state": state}
    return gettext("This ticket was changed by someone else: it is now “%(state)s”. The page shows "
              "its current state; check it before acting again.") % {"state": state}


# -- views -------------------------------------------------------------------------------------


@login_required
@require_GET
def ticket_detail(request, ticket_id: int):
    return _render(request, _load(request, ticket_id))


@login_required
@require_GET
def ticket_deadlines(request, ticket_id: int):
    """The deadlines with their explanation (policy, rule, calendar, start, pauses, agreed
    time), asked for on demand: the ticket page itself shows only the time left."""
    try:
        detail = ticket_selectors.ticket_get(viewer=request.user, ticket_id=ticket_id)
    except NotFound:
        raise Http404(gettext("No such ticket.")) from None
    context = {"ticket": detail.ticket, "clocks": _clock_rows(detail.clocks, timezone.now()),
               "explain": True, "nav_active": "worklists"}
    template = "workbench/_ticket_deadlines.html" if _partial(request) else "workbench/ticket_deadlines.html"
    return render(request, template, context)


@login_required
@require_POST
def ticket_action(request, ticket_id: int, action: str):
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404(gettext("No such action."))
    page = _load(request, ticket_id)
    form = spec.form(request.POST, departments=page.departments, ticket=page.ticket,
                     owning_department=page.owning_department, special_types=page.special_types,
                     org_units=page.org_units, prefix=spec.slug)
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("expected_version", None)
        try:
            ticket = spec.call(ticket_id=ticket_id, actor=request.user, data=data, version=version)
        except ValidationFailed as exc:
            f.add_service_errors(form, exc)
        except Conflict as exc:
            page = _load(request, ticket_id)
            message = _conflict_message(ticket_id, exc, page)
            return _after(request, page, message, messages.WARNING, "warning")
        except Forbidden as exc:
            page = _load(request, ticket_id)
            return _after(request, page, str(exc.message), messages.ERROR, "error")
        except NotFound:
            raise Http404(gettext("No such ticket.")) from None
        else:
            message = gettext("Done: %(action)s. The ticket is now “%(state)s”.") % {
                "action": spec.action.label, "state": _label(State, ticket.state)}
            return _after_commit(request, ticket, message)
    # Errors at the fields, with what was typed; the rest of the page as it is now.
    return _render(request, page, status=200 if _partial(request) else 422, bound=form,
                   bound_slug=spec.slug, notice=gettext("Check the fields marked below."),
                   notice_kind="error")


def _after(request, page, message: str, level: int, kind: str):
    if _partial(request):
        return _render(request, page, notice=message, notice_kind=kind)
    messages.add_message(request, level, message)
    return redirect("workbench:ticket", ticket_id=page.ticket.pk)


def _after_commit(request, ticket, message: str):
    """The answer to a committed action, built from the ticket the service wrote: without
    htmx a redirect (nothing read back); with htmx the page read back and swapped in, or,
    should that read fail, a notice saying what was done and asking for a reload — never
    an error page that would make the action look undone."""
    if not _partial(request):
        messages.success(request, message)
        return redirect("workbench:ticket", ticket_id=ticket.pk)
    try:
        return _render(request, _load(request, ticket.pk), notice=message, notice_kind="success")
    except Exception:
        log.exception("ticket %s: the action was committed, the page could not be read back", ticket.pk)
        # No request context: its processors read the database, which just failed.
        return HttpResponse(render_to_string("workbench/_ticket_committed.html", {
            "ticket": ticket, "message": message, "state_label": _label(State, ticket.state),
            "url": reverse("workbench:ticket", kwargs={"ticket_id": ticket.pk}),
        }))


@login_required
@require_POST
def attachment_upload(request, ticket_id: int):
    page = _load(request, ticket_id)
    form = f.AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(settings.ATTACHMENT_MAX_BYTES + 1)
        try:
            attachment_services.attachment_add(ticket_id=ticket_id, actor=request.user,
                                               name=upload.name, data=data)
        except ValidationFailed as exc:
            f.add_service_errors(form, exc)
        except DomainError as exc:
            page = _load(request, ticket_id)
            return _after(request, page, str(exc.message), messages.WARNING, "warning")
        else:
            page = _load(request, ticket_id)
            return _after(request, page, gettext("Attached: %(name)s.") % {"name": upload.name},
                          messages.SUCCESS, "success")
    return _render(request, page, status=200 if _partial(request) else 422, attachment_form=form,
                   notice=gettext("The file was not attached: see the reason below."), notice_kind="error")


@login_required
@require_GET
def attachment_download(request, ticket_id: int, attachment_id: int):
    try:
        attachment, handle = ticket_selectors.attachment_open(viewer=request.user, attachment_id=attachment_id)
    except ticket_selectors.AttachmentFileMissing as exc:
        if exc.extra["ticket"] != ticket_id:
            raise Http404(gettext("No such attachment.")) from None
        # The ticket page, saying which file is missing and why (404, not a server error).
        return _render(request, _load(request, ticket_id), status=404, notice=str(exc.message),
                       notice_kind="error")
    except NotFound:
        raise Http404(gettext("No such attachment.")) from None
    if attachment.ticket_id != ticket_id:
        handle.close()
        raise Http404(gettext("No such attachment."))
    return FileResponse(handle, as_attachment=True,
                        filename=attachment.original_name, content_type=attachment.content_type)


urlpatterns = [
    path("tickets/<int:ticket_id>/", ticket_detail, name="ticket"),
    path("tickets/<int:ticket_id>/deadlines/", ticket_deadlines, name="ticket_deadlines"),
    path("tickets/<int:ticket_id>/attachments/", attachment_upload, name="ticket_attachment_add"),
    path("tickets/<int:ticket_id>/attachments/<int:attachment_id>/", attachment_download,
         name="ticket_attachment"),
    path("tickets/<int:ticket_id>/<slug:action>/", ticket_action, name="ticket_action"),
]
