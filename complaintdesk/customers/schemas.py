"""API shapes of the customer page and the segment callbacks (built from loaded rows)."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from complaintdesk.core.phones import phone_shown
from complaintdesk.core.schema import InputSchema


class PhoneOut(Schema):
    id: int
    number: str = Field(..., description="E.164, or masked (138****8000) for a viewer who sees phones masked.")
    display: str
    label: str
    current: bool
    valid_from: dt.datetime | None
    valid_to: dt.datetime | None


class CustomerTicketOut(Schema):
    id: int
    number: str | None
    title: str
    kind: str
    state: str
    channel: str
    satisfaction: str
    created_at: dt.datetime
    repeat: bool
    over_the_head: bool


class CallbackOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    reason: str
    due_on: dt.date
    state: str
    phones: list[str] = Field(default_factory=list)


class CustomerOut(Schema):
    id: int
    name: str
    segment: str = Field(..., description="Today's segment: new, regular, vip, near_contract_end or unknown.")
    recorded_segment: str
    customer_since: dt.date | None
    contract_end: dt.date | None
    phones: list[PhoneOut]
    tickets: list[CustomerTicketOut]
    ticket_count: int
    open_count: int
    repeat_count: int
    over_the_head_count: int
    open_callbacks: list[CallbackOut]


def phone(p, full: bool) -> dict:
    shown = phone_shown(p.number, full=full)
    return {"id": p.pk, "number": p.number if full else shown, "display": shown, "label": p.label,
            "current": p.valid_to is None, "valid_from": p.valid_from, "valid_to": p.valid_to}


def callback(t, phones=None) -> dict:
    return {"id": t.pk, "customer_id": t.customer_id, "customer_name": t.customer.name, "reason": t.reason,
            "due_on": t.due_on, "state": t.state, "phones": phones or []}


def customer(page) -> dict:
    c = page.customer
    return {
        "id": c.pk, "name": c.name, "segment": page.segment, "recorded_segment": c.segment,
        "customer_since": c.customer_since, "contract_end": c.contract_end,
        "phones": [phone(p, page.full_phones) for p in page.phones],
        "tickets": [{"id": t.pk, "number": t.number, "title": t.title, "kind": t.kind, "state": t.state,
                     "channel": t.channel, "satisfaction": t.satisfaction, "created_at": t.created_at,
                     "repeat": t.pk in page.repeat_ids, "over_the_head": t.pk in page.over_the_head_ids}
                    for t in page.tickets],
        "ticket_count": page.total, "open_count": page.open_count, "repeat_count": page.repeat_count,
        "over_the_head_count": page.over_the_head_count,
        "open_callbacks": [callback(t) for t in page.callbacks],
    }


class PhoneIn(InputSchema):
    number: str = Field(..., max_length=40)
    label: Literal["mobile", "home", "work", "other"] = "mobile"


class DatesIn(InputSchema):
    customer_since: dt.date | None = None
    contract_end: dt.date | None = None


class CallbackDoneIn(InputSchema):
    reached: bool = True
    topics: str = Field("", max_length=2000)
    satisfaction: Literal["satisfied", "neutral", "dissatisfied", ""] = ""
