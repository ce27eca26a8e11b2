"""API shapes of tickets; output is built from rows already loaded (no queries here)."""

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema

from complaintdesk.core.phones import elements_shown, phone_shown
from complaintdesk.core.schema import InputSchema
from complaintdesk.incidents.schemas import IncidentRef
from complaintdesk.sla.vocabulary import ClockState, ClockType, SlaStatus
from complaintdesk.tickets.facts import ticket_flags
from complaintdesk.tickets.vocabulary import (
    Channel,
    Kind,
    Satisfaction,
    Severity,
    SourceTier,
    State,
    TicketFlag,
)

KindIn = Literal[tuple(k.value for k in Kind)]  # type: ignore[valid-type]
ChannelIn = Literal[tuple(c.value for c in Channel)]  # type: ignore[valid-type]
SeverityIn = Literal[tuple(s.value for s in Severity)]  # type: ignore[valid-type]
SatisfactionIn = Literal[tuple(s.value for s in Satisfaction)]  # type: ignore[valid-type]
FLAGS_TEXT = ", ".join(f.value for f in TicketFlag)
TIERS_TEXT = ", ".join(t.value for t in SourceTier)


class CustomerIn(InputSchema):
    name: str = Field("", max_length=100)
    phone: str = Field(..., max_length=40, description="Mobile or landline; normalised to E.164.")
    segment: Literal["new", "regular", "vip", "near_contract_end", "unknown", ""] = ""


class TicketIn(InputSchema):
    kind: KindIn
    category: str = Field(..., max_length=60, description="Code of a leaf of the kind's category tree.")
    channel: ChannelIn
    title: str = Field(..., max_length=200)
    description: str = Field(..., max_length=20000)
    customer: CustomerIn
    contact_phone: str = Field("", max_length=40)
    product: str = Field("", max_length=200)
    severity: SeverityIn | Literal[""] = ""
    special: bool = False
    org_unit: str = Field("", max_length=40, description="Owning org unit code; default: the customer's, else yours.")
    elements: dict = Field(default_factory=dict, description="Values of the category's required elements by key.")
    first_reported_at: dt.datetime | None = None
    agreed_time: dt.datetime | None = None
    resolve_on_spot: str = Field("", max_length=20000, description="An answer that settles it now: the ticket closes at once.")
    source_tier: str = Field("", max_length=40, description=(
        f"Where it came from: {TIERS_TEXT}. Default: direct, or what the channel implies (media, "
        "upper-level transfer → leadership); a regulator transfer must name it."))
    regulator_ref: str = Field("", max_length=64, description="The transferring body's own reference number.")
    regulator_due_at: dt.datetime | None = Field(None, description=(
        "A deadline the transferring body stated itself (its sheet's 办理时限): it wins over the profile's rule."))
    regulator: str = Field("", max_length=30, description=(
        "Code of the transferring regulator's profile (GET /api/v1/regulators: nfra, miit, post, 12345): its "
        "rule gives the regulator's deadline, a clock of its own beside ours. Implies the source tier."))
    regulator_matter: str = Field("", max_length=30, description="The regulator's matter type (its profile's codes).")
    regulator_urgency: str = Field("", max_length=20, description="normal, urgent or emergency (12345's matrix).")
    transferred_at: dt.datetime | None = Field(None, description="When the regulator transferred it; default: now.")
    matter_date: dt.date | None = Field(None, description="When the matter arose: gives admissibility hints.")
    special_type: str = Field("", max_length=40, description="Code of one of the six special complainant types (000).")


class Ref(Schema):
    code: str
    name: str


class UserRef(Schema):
    username: str
    name: str


def _ref(obj) -> dict | None:
    return {"code": obj.code, "name": obj.display_name} if obj is not None else None


def _user(user) -> dict | None:
    return {"username": user.username, "name": str(user)} if user is not None else None


class TicketSummary(Schema):
    id: int
    number: str | None
    kind: str
    state: str
    state_label: str
    severity: str
    special: bool
    channel: str
    title: str
    category: Ref
    org_unit: Ref
    lead_department: Ref | None
    owner: UserRef
    customer_name: str
    contact_phone: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    sla_status: str = Field(..., description="ok, at_risk (a running clock passed its warning point) or overdue.")
    sla_status_label: str
    waiting_on_customer: bool
    calendar_missing: bool = Field(..., description="A deadline reaches into a year no working calendar covers.")
    source_tier: str = Field(..., description=f"Where the ticket came from: {TIERS_TEXT}.")
    regulator_ref: str
    repeat_of: str | None = Field(..., description="Number of the first ticket this one repeats; null when none.")
    flags: list[str] = Field(..., description=f"Any of: {FLAGS_TEXT}.")


class ClockOut(Schema):
    clock: str = Field(..., description="dispatch, acknowledge, handle, progress, reply, callback or ticket.")
    label: str
    cycle: int = Field(..., description="0, then one more each time the ticket is reopened.")
    state: str = Field(..., description="running, paused (waiting on the customer), met or missed.")
    state_label: str
    started_at: dt.datetime
    due_at: dt.datetime | None
    remaining_seconds: int | None = Field(..., description="Negative when overdue; null when paused or stopped.")
    remaining_working_minutes: int | None = Field(
        ..., description="Open minutes of the calendar left, for working-time clocks (frozen while paused).")
    warn_at: dt.datetime | None
    paused_at: dt.datetime | None
    stopped_at: dt.datetime | None
    breached_at: dt.datetime | None
    escalation_level: int
    calendar_missing: bool
    explanation: dict = Field(..., description="Why the deadline is what it is: policy, rule, calendar, start, pauses, agreed time, kept_from, calendar_missing, missing_years.")


class AssignmentOut(Schema):
    department: Ref
    assignee: UserRef | None
    role: str
    active: bool
    dispatched_at: dt.datetime
    acknowledged_at: dt.datetime | None
    input: str
    input_at: dt.datetime | None
    ended_at: dt.datetime | None


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    created_at: dt.datetime
    url: str


class PhraseOut(Schema):
    phrase: str
    meaning: str


class TicketDetailOut(TicketSummary):
    description: str
    product: str
    elements: dict
    first_reported_at: dt.datetime
    agreed_time: dt.datetime | None
    lead_assignee: UserRef | None
    requires_approval: bool
    plan: str
    plan_approved: bool
    partial: bool
    handling_notes: str
    cause: str
    responsible_department: Ref | None
    responsible_person: str
    reply_text: str
    satisfaction: str
    resolution: str
    reopen_count: int
    closed_at: dt.datetime | None
    callback_attempts: int = Field(0, description="Failed callback calls of the current round.")
    callback_due_at: dt.datetime | None = Field(None, description="When to call the customer again.")
    assignments: list[AssignmentOut]
    attachments: list[AttachmentOut]
    allowed_actions: list[str]
    clocks: list[ClockOut]
    incident: IncidentRef | None = Field(None, description="The incident this ticket belongs to, if any.")
    regulator_due_at: dt.datetime | None
    repeat_count: int = Field(..., description="How many later tickets repeat this one (on a first ticket).")
    special_type: str | None = Field(..., description="Code of the special complainant type chosen by staff.")
    special_matches: list[PhraseOut] = Field(..., description="The special-complainant phrases found at registration.")
    history_gathered_at: dt.datetime | None


class CommittedOut(Schema):
    """What a committed create or action wrote, when the ticket could not be read back
    afterwards (sent by the error handlers, core/api_errors.py): read it at `url`."""

    committed: Literal[True]
    id: int
    number: str
    state: str
    state_label: str
    version: int
    url: str
    message: str


# The answer of a create or an action: the ticket as it now is, else what was committed.
# Left to right: the usual answer validates as TicketDetailOut at once, at the same cost.
TicketAnswer = Annotated[TicketDetailOut | CommittedOut, Field(union_mode="left_to_right")]


class TicketPage(Schema):
    items: list[TicketSummary]
    next_cursor: str | None


class EventOut(Schema):
    id: int
    type: str
    label: str
    actor: UserRef | None
    created_at: dt.datetime
    from_state: str
    to_state: str
    payload: dict


def summary(t, *, full_phones: bool) -> dict:
    """`full_phones`: tickets.facts.sees_full_phones for the viewer (else masked)."""
    return {
        "id": t.pk, "number": t.number, "kind": t.kind, "state": t.state,
        "state_label": str(State(t.state).label), "severity": t.severity, "special": t.special,
        "channel": t.channel, "title": t.title, "category": _ref(t.category), "org_unit": _ref(t.org_unit),
        "lead_department": _ref(t.lead_department), "owner": _user(t.owner),
        "customer_name": t.customer.name, "contact_phone": phone_shown(t.contact_phone, full=full_phones),
        "version": t.version, "created_at": t.created_at, "updated_at": t.updated_at,
        "sla_status": t.sla_status, "sla_status_label": str(SlaStatus(t.sla_status).label),
        "waiting_on_customer": t.waiting_on_customer, "calendar_missing": t.calendar_missing,
        "source_tier": t.source_tier, "regulator_ref": t.regulator_ref,
        "repeat_of": _repeat_number(t), "flags": ticket_flags(t),
    }


def committed(t, message) -> dict:
    """What a committed write left, from the row in memory: no query, so it can be answered
    when reading the ticket back failed."""
    return {"committed": True, "id": t.pk, "number": t.number, "state": t.state,
            "state_label": str(State(t.state).label), "version": t.version,
            "url": f"/api/v1/tickets/{t.pk}", "message": str(message)}


def _repeat_number(t) -> str | None:
    """The first ticket's number: from the loaded row (detail), or `repeat_of_number` annotated
    on list rows (no query per row)."""
    if t.repeat_of_id is None:
        return None
    if hasattr(t, "repeat_of_number"):
        return t.repeat_of_number
    return t.repeat_of.number


def _label(enum, value: str) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return value


def clock(c) -> dict:
    return {
        "clock": c.clock, "label": _label(ClockType, c.clock), "cycle": c.cycle, "state": c.state,
        "state_label": _label(ClockState, c.state), "started_at": c.started_at, "due_at": c.due_at,
        "remaining_seconds": c.remaining_seconds, "remaining_working_minutes": c.remaining_working_minutes,
        "warn_at": c.warn_at, "paused_at": c.paused_at, "stopped_at": c.stopped_at,
        "breached_at": c.breached_at, "escalation_level": c.escalation_level,
        "calendar_missing": c.calendar_missing, "explanation": c.explanation,
    }


def detail(d, *, full_phones: bool) -> dict:
    t = d.ticket
    return {
        **summary(t, full_phones=full_phones),
        "description": t.description, "product": t.product,
        "elements": elements_shown(t.elements, full=full_phones),
        "first_reported_at": t.first_reported_at, "agreed_time": t.agreed_time,
        "lead_assignee": _user(t.lead_assignee), "requires_approval": t.requires_approval,
        "plan": t.plan, "plan_approved": t.plan_approved, "partial": t.partial,
        "handling_notes": t.handling_notes, "cause": t.cause,
        "responsible_department": _ref(t.responsible_department),
        "responsible_person": t.responsible_person, "reply_text": t.reply_text,
        "satisfaction": t.satisfaction, "resolution": t.resolution, "reopen_count": t.reopen_count,
        "closed_at": t.closed_at,
        "callback_attempts": t.callback_attempts, "callback_due_at": t.callback_due_at,
        "assignments": [
            {"department": _ref(a.department), "assignee": _user(a.assignee), "role": a.role,
             "active": a.active, "dispatched_at": a.dispatched_at, "acknowledged_at": a.acknowledged_at,
             "input": a.input, "input_at": a.input_at, "ended_at": a.ended_at}
            for a in d.assignments
        ],
        "attachments": [
            {"id": a.pk, "name": a.original_name, "content_type": a.content_type, "size": a.size,
             "created_at": a.created_at, "url": f"/api/v1/attachments/{a.pk}"}
            for a in d.attachments
        ],
        "allowed_actions": d.allowed_actions,
        "clocks": [clock(c) for c in d.clocks],
        "regulator_due_at": t.regulator_due_at, "repeat_count": t.repeat_count,
        "special_type": t.special_type.code if t.special_type_id else None,
        "special_matches": [{"phrase": m.get("phrase", ""), "meaning": m.get("meaning", "")}
                            for m in t.special_matches or []],
        "history_gathered_at": t.history_gathered_at,
    }


def event(e) -> dict:
    from complaintdesk.tickets.vocabulary import EventType

    try:
        label = str(EventType(e.type).label)
    except ValueError:
        label = e.type
    return {"id": e.pk, "type": e.type, "label": label, "actor": _user(e.actor), "created_at": e.created_at,
            "from_state": e.from_state, "to_state": e.to_state, "payload": e.payload}


# -- action bodies: `version` is the version the caller saw; a stale one is a 409 ---------

class Versioned(InputSchema):
    version: int | None = Field(None, ge=1, description="The ticket version you acted on; stale → 409.")


class AnswerIn(Versioned):
    answer: str = Field(..., max_length=20000)


class ReviewIn(Versioned):
    valid: bool
    reason: str = Field("", max_length=20000)
    answer: str = Field("", max_length=20000, description="Polite answer to the customer (invalid only).")
    severity: SeverityIn | Literal[""] = ""
    special: bool | None = None


class DispatchIn(Versioned):
    department: str = Field("", max_length=40)
    assignee: str = Field("", max_length=150, description="A staff account (工号 username).")
    note: str = Field("", max_length=20000)


class TransferIn(Versioned):
    department: str = Field("", max_length=40)
    assignee: str = Field("", max_length=150)
    reason: str = Field(..., max_length=20000)


class ReasonIn(Versioned):
    reason: str = Field(..., max_length=20000)


class CoHandleIn(Versioned):
    departments: list[str] = Field(..., max_length=20)
    note: str = Field("", max_length=20000)


class TextIn(Versioned):
    text: str = Field(..., max_length=20000)


class NoteIn(InputSchema):
    note: str = Field("", max_length=20000)


class PlanIn(Versioned):
    plan: str = Field(..., max_length=20000)


class DecisionIn(Versioned):
    approve: bool
    note: str = Field("", max_length=20000)


class HandleIn(Versioned):
    notes: str = Field(..., max_length=20000)
    cause: Literal["product_quality", "service", "sales", "network", "policy", "third_party",
                   "customer_misunderstanding", ""] = ""
    responsible_department: str = Field("", max_length=40)
    responsible_person: str = Field("", max_length=100)
    partial: bool = False
    outcome: str = Field("", max_length=200, description="Sales leads: the outcome reported.")


class ReplyIn(Versioned):
    text: str = Field(..., max_length=20000)
    customer_accepts: bool | None = None


CallbackTopicIn = Literal["case_result", "opinion", "suggestion", "renewal", "other_need"]


class CallbackIn(Versioned):
    satisfaction: SatisfactionIn
    note: str = Field("", max_length=20000)
    topics: list[CallbackTopicIn] = Field(default_factory=list, max_length=5,
                                          description="What else the call talked about (002).")


class CallbackAttemptIn(Versioned):
    outcome: Literal["no_answer", "switched_off", "refused", "wrong_number", "call_again"] = Field(
        ..., description="How the call went. no_answer, switched_off and wrong_number count towards the "
                         "limit of attempts; refused closes the ticket as callback failed at once; "
                         "call_again (the customer asked for a time) needs call_again_at.")
    call_again_at: dt.datetime | None = Field(None, description="When to call again (within 31 days); "
                                                                "default: CALLBACK_RETRY_MINUTES later.")
    topics: list[CallbackTopicIn] = Field(default_factory=list, max_length=5)
    note: str = Field("", max_length=2000)


class EmptyIn(Versioned):
    pass


class QuestionIn(Versioned):
    question: str = Field(..., max_length=20000, description="What the customer is asked.")


class InfoReceivedIn(Versioned):
    answer: str = Field("", max_length=20000, description="What the customer answered.")


class AgreedTimeIn(Versioned):
    agreed_time: dt.datetime = Field(..., description="The time agreed with the customer; replaces the handling deadline.")
    note: str = Field("", max_length=20000)


class SourceIn(Versioned):
    source_tier: str = Field("", max_length=40, description=f"One of: {TIERS_TEXT}; implied by `regulator`.")
    regulator_ref: str = Field("", max_length=64)
    regulator_due_at: dt.datetime | None = Field(None, description="A deadline the body stated itself.")
    regulator: str = Field("", max_length=30, description=(
        "Code of the transferring regulator's profile (GET /api/v1/regulators: nfra, miit, post, 12345): its "
        "rule gives the regulator's deadline, a clock of its own beside ours. Implies the source tier."))
    regulator_matter: str = Field("", max_length=30, description="The regulator's matter type (its profile's codes).")
    regulator_urgency: str = Field("", max_length=20, description="normal, urgent or emergency (12345's matrix).")
    transferred_at: dt.datetime | None = Field(None, description="When the regulator transferred it; default: now.")
    matter_date: dt.date | None = Field(None, description="When the matter arose: gives admissibility hints.")


class RegulatorExtensionIn(Versioned):
    reason: str = Field(..., max_length=20000, description="Why the case needs more time.")
    approved_by: str = Field("", max_length=150, description=(
        "Username of the leader who approved a step that needs approval (default: you, if a leader)."))


class SpecialTypeIn(Versioned):
    special_type: str = Field(..., max_length=40, description="Code of a special complainant type.")
    note: str = Field("", max_length=20000)


class HistoryIn(Versioned):
    checked: list[str] = Field(..., max_length=10, description=(
        "Every item of the checklist: earlier_tickets, people_involved, contact_history, commitments."))
    people: str = Field(..., max_length=2000, description="The people involved.")
    note: str = Field("", max_length=20000)
