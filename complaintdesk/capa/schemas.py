"""API shapes of root causes and corrective actions (built from loaded rows, no queries)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from complaintdesk.capa.vocabulary import ActionKind, ActionSource, ActionState, Step
from complaintdesk.core.schema import InputSchema


def _label(enum, value) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return str(value or "")


class RootCauseOut(Schema):
    ticket: int
    cause: str
    root_cause: str | None
    root_cause_name: str | None
    analysis: str
    responsible_department: str | None
    responsible_person: str
    # Present only for the roles that may read it (capa/roles.py ACCOUNTABILITY_ROLES).
    accountability: str | None = None
    version: int


class RootCauseIn(InputSchema):
    root_cause: str = Field(..., max_length=60)
    analysis: str = Field("", max_length=5000)
    accountability: str | None = Field(None, max_length=5000)
    expected_version: int | None = Field(None, ge=0, le=2**31 - 1)


def root_cause_out(capa) -> dict:
    t, r = capa.ticket, capa.record
    out = {
        "ticket": t.pk, "cause": t.cause, "root_cause": r.root_cause.code if r and r.root_cause_id else None,
        "root_cause_name": r.root_cause.display_name if r and r.root_cause_id else None,
        "analysis": r.analysis if r else "",
        "responsible_department": t.responsible_department.code if t.responsible_department_id else None,
        "responsible_person": t.responsible_person, "version": r.version if r else 0,
    }
    if capa.sees_accountability:
        out["accountability"] = capa.accountability
    return out


class ActionRef(Schema):
    id: int
    number: str
    title: str
    kind: str
    state: str
    state_label: str
    owner: str
    owner_department: str | None
    due_at: dt.datetime
    overdue: bool
    ticket_count: int


class ActionListOut(Schema):
    items: list[ActionRef]
    next: str


class ActionEventOut(Schema):
    type: str
    actor: str | None
    at: dt.datetime
    from_state: str
    to_state: str
    text: str


class ActionOut(Schema):
    id: int
    number: str
    kind: str
    source: str
    source_label: str
    source_note: str
    title: str
    description: str
    state: str
    state_label: str
    version: int
    owner: str
    owner_department: str | None
    raised_by: str | None
    raised_at: dt.datetime
    due_at: dt.datetime
    overdue: bool
    effective: bool | None
    closed_on_time: bool | None
    tickets: list[str]
    categories: list[str]
    allowed_steps: list[str]
    events: list[ActionEventOut]


class ActionIn(InputSchema):
    kind: ActionKind
    title: str = Field(..., max_length=200)
    description: str = Field(..., max_length=5000)
    owner: str = Field(..., max_length=150)
    working_days: int | None = Field(None, ge=1, le=250)
    due_date: dt.date | None = None
    ticket: int | None = Field(None, ge=1, le=2**31 - 1)
    category: str = Field("", max_length=60)
    source_note: str = Field("", max_length=200)


class StepIn(InputSchema):
    text: str = Field("", max_length=5000)
    expected_version: int | None = Field(None, ge=0, le=2**31 - 1)


class LinkIn(InputSchema):
    ticket: str = Field(..., max_length=32, description="the ticket's number")
    expected_version: int | None = Field(None, ge=0, le=2**31 - 1)


class FiguresOut(Schema):
    start: dt.datetime
    end: dt.datetime
    raised: int
    open: int
    overdue: int
    closed: int
    closed_on_time: int
    verified_effective: int
    verified_ineffective: int
    cancelled: int
    on_time_rate: float | None
    effective_rate: float | None


def action_ref(a) -> dict:
    return {"id": a.pk, "number": a.number, "title": a.title, "kind": a.kind, "state": a.state,
            "state_label": _label(ActionState, a.state), "owner": a.owner.username,
            "owner_department": a.owner_department.code if a.owner_department_id else None,
            "due_at": a.due_at, "overdue": a.overdue, "ticket_count": a.ticket_count}


def action_out(page) -> dict:
    a = page.action
    return {
        "id": a.pk, "number": a.number, "kind": a.kind, "source": a.source,
        "source_label": _label(ActionSource, a.source), "source_note": a.source_note, "title": a.title,
        "description": a.description, "state": a.state, "state_label": _label(ActionState, a.state),
        "version": a.version, "owner": a.owner.username,
        "owner_department": a.owner_department.code if a.owner_department_id else None,
        "raised_by": a.raised_by.username if a.raised_by_id else None, "raised_at": a.raised_at,
        "due_at": a.due_at, "overdue": page.overdue, "effective": a.effective, "closed_on_time": a.closed_on_time,
        "tickets": [t.number or str(t.pk) for t in page.tickets], "categories": [c.code for c in page.categories],
        "allowed_steps": [str(s) for s in page.allowed_steps],
        "events": [{"type": e.type, "actor": e.actor.username if e.actor_id else None, "at": e.created_at,
                    "from_state": e.from_state, "to_state": e.to_state,
                    "text": (e.payload or {}).get("text") or (e.payload or {}).get("note")
                    or (e.payload or {}).get("reason") or ""} for e in page.events],
    }


def figures_out(f) -> dict:
    t = f.totals
    return {"start": f.start, "end": f.end, "raised": t.raised, "open": t.open, "overdue": t.overdue,
            "closed": t.closed, "closed_on_time": t.closed_on_time, "verified_effective": t.verified_effective,
            "verified_ineffective": f.verified_ineffective, "cancelled": t.cancelled,
            "on_time_rate": f.on_time_rate, "effective_rate": f.effective_rate}


STEP_VALUES = [s.value for s in Step]
