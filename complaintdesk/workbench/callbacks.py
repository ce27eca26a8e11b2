"""The callback worklist of tickets (/callbacks/tickets/): the replied tickets waiting for their
callback, in the order they are to be called — the time to call again that an attempt set
(ticket_callback_attempt), else the time the ticket has waited since it was last changed.

The list holds what the "To call back" worklist holds (the workflow table's cells where the
viewer may call back, within `visible_tickets`): one query whatever its length, the last
attempt's outcome read by a subquery rather than per row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, OuterRef, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.utils import timezone

from complaintdesk.core.phones import phone_shown
from complaintdesk.tickets.facts import callback_max_attempts
from complaintdesk.tickets.models import TicketEvent
from complaintdesk.tickets.selectors import visible_tickets
from complaintdesk.tickets.vocabulary import CallbackOutcome, EventType, Kind
from complaintdesk.workbench.worklists import worklist_get

LIMIT = 200


@dataclass
class CallbackRow:
    id: int
    customer_id: int
    number: str
    title: str
    kind: str
    customer: str
    phone: str
    attempts: int
    max_attempts: int
    next_call_at: dt.datetime
    next_call_text: str
    scheduled: bool  # an attempt set this time (else: due since the reply)
    due: bool  # the time has come
    last_outcome: str


def callback_rows(*, viewer, now: dt.datetime | None = None, limit: int = LIMIT) -> tuple[list[CallbackRow], bool]:
    """(rows, more): the tickets to call back, first to call first. Raises NotFound when the
    viewer's role makes no callbacks."""
    now = now or timezone.now()
    entry = worklist_get(viewer, "to_callback")
    last_outcome = (TicketEvent.objects.filter(ticket_id=OuterRef("pk"), type=EventType.CALLBACK_ATTEMPTED)
                    .order_by("-id").annotate(outcome=KeyTextTransform("outcome", "payload"))
                    .values("outcome")[:1])
    tickets = (visible_tickets(viewer).filter(entry.condition)
               .select_related("customer")
               .only("id", "number", "title", "kind", "contact_phone", "callback_attempts", "callback_due_at",
                     "updated_at", "customer__name")
               .annotate(next_call=Coalesce(F("callback_due_at"), F("updated_at")),
                         last_outcome=Subquery(last_outcome))
               .order_by("next_call", "id"))
    found = list(tickets[: limit + 1])
    more = len(found) > limit
    kinds = {k.value: str(k.label) for k in Kind}
    outcomes = {o.value: str(o.label) for o in CallbackOutcome}
    most = callback_max_attempts()
    rows = []
    for t in found[:limit]:
        rows.append(CallbackRow(
            id=t.pk, customer_id=t.customer_id, number=t.number or str(t.pk), title=t.title, kind=kinds.get(t.kind, t.kind),
            customer=t.customer.name if t.customer_id else "",
            # A list is looked over: numbers masked, in full on the ticket page for those who may.
            phone=phone_shown(t.contact_phone, full=False),
            attempts=t.callback_attempts, max_attempts=most, next_call_at=t.next_call,
            next_call_text=timezone.localtime(t.next_call).strftime("%Y-%m-%d %H:%M"),
            scheduled=t.callback_due_at is not None, due=t.next_call <= now,
            last_outcome=outcomes.get(t.last_outcome or "", t.last_outcome or ""),
        ))
    return rows, more
