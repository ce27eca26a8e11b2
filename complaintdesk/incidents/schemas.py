"""API shapes of near-duplicate suggestions and incidents (built from loaded rows, no queries)."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from complaintdesk.core.schema import InputSchema
from complaintdesk.tickets.vocabulary import State


def _state_label(value: str) -> str:
    try:
        return str(State(value).label)
    except ValueError:
        return value


class SimilarIn(InputSchema):
    title: str = Field("", max_length=200)
    description: str = Field("", max_length=20000)
    limit: int = Field(5, ge=1, le=20)


class SuggestionOut(Schema):
    id: int
    number: str | None
    title: str
    state: str
    state_label: str
    created_at: dt.datetime
    similarity: float = Field(..., description="Estimated Jaccard similarity of the words (0–1).")
    incident_id: int | None = Field(None, description="The incident the ticket already belongs to.")


def suggestion(s) -> dict:
    t = s.ticket
    return {"id": t.pk, "number": t.number, "title": t.title, "state": t.state,
            "state_label": _state_label(t.state), "created_at": t.created_at,
            "similarity": s.similarity, "incident_id": s.incident_id}


class IncidentRef(Schema):
    id: int
    number: str | None
    title: str
    state: str
    lead_ticket_id: int


def incident_ref(incident) -> dict | None:
    if incident is None:
        return None
    return {"id": incident.pk, "number": incident.number, "title": incident.title,
            "state": incident.state, "lead_ticket_id": incident.lead_id}


class MemberOut(Schema):
    ticket_id: int
    number: str | None
    title: str
    state: str
    state_label: str
    lead: bool
    source: str
    added_at: dt.datetime


class IncidentOut(IncidentRef):
    created_at: dt.datetime
    closed_at: dt.datetime | None
    members: list[MemberOut]
    hidden_members: int = Field(..., description="Members outside your scope (counted, not shown).")


def incident(view) -> dict:
    i = view.incident
    return {
        **incident_ref(i), "created_at": i.created_at, "closed_at": i.closed_at,
        "members": [
            {"ticket_id": m.ticket_id, "number": m.ticket.number, "title": m.ticket.title,
             "state": m.ticket.state, "state_label": _state_label(m.ticket.state),
             "lead": m.ticket_id == i.lead_id, "source": m.source, "added_at": m.added_at}
            for m in view.members
        ],
        "hidden_members": view.hidden,
    }


class IncidentIn(InputSchema):
    lead: int = Field(..., ge=1, le=2**63 - 1, description="Id of the open lead ticket.")
    title: str = Field("", max_length=200, description="Default: the lead ticket's title.")


class MemberIn(InputSchema):
    ticket: int = Field(..., ge=1, le=2**63 - 1)
    source: Literal["hand", "suggestion"] = "hand"


class IncidentReplyIn(InputSchema):
    text: str = Field(..., max_length=20000)
    customer_accepts: bool | None = None


class IncidentCloseIn(InputSchema):
    reason: str = Field(..., max_length=20000)


class RefusalOut(Schema):
    ticket_id: int
    number: str
    code: str
    reason: str


class CarryOut(Schema):
    incident: IncidentRef
    done: list[str] = Field(..., description="Numbers of the members that took the action.")
    refused: list[RefusalOut] = Field(..., description="Members that could not, each with the reason.")


def carry(result) -> dict:
    return {"incident": incident_ref(result.incident), "done": result.done,
            "refused": [{"ticket_id": r.ticket_id, "number": r.number, "code": r.code, "reason": r.reason}
                        for r in result.refused]}
