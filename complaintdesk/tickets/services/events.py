"""The one writer of TicketEvent: appends an event to its ticket's hash chain (audit/chain.py).

The caller holds the ticket's row lock (transitions, attachments) or has just created the
ticket in the same transaction (intake): the previous link is then stable, and the unique
(ticket, seq) constraint turns a forgotten lock into an error rather than a forked chain.
Cost on the write path: at most one indexed read of the chain head and one HMAC per event.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from complaintdesk.audit.chain import GENESIS, chain_key, event_hash
from complaintdesk.tickets.models import Ticket, TicketEvent


def _stored(payload: dict | None) -> dict:
    # What the JSON column gives back (enum members become strings): the hash is over that.
    return json.loads(json.dumps(payload or {}))


def _event(ticket_id: int, seq: int, previous: str, key: bytes, *, type, actor, at, from_state,
           to_state, payload) -> TicketEvent:
    at = at or timezone.now()
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    payload = _stored(payload)
    actor_id = actor.pk if actor is not None else None
    return TicketEvent(
        ticket_id=ticket_id, type=str(type), actor_id=actor_id, created_at=at,
        from_state=str(from_state or ""), to_state=str(to_state or ""), payload=payload, seq=seq,
        hash=event_hash(key, previous, ticket_id=ticket_id, seq=seq, type=str(type), actor_id=actor_id,
                        at=at, from_state=str(from_state or ""), to_state=str(to_state or ""),
                        payload=payload),
    )


def _head(ticket_id: int) -> tuple[int, str]:
    row = (TicketEvent.objects.filter(ticket_id=ticket_id, seq__isnull=False).order_by("-seq")
           .values_list("seq", "hash").first())
    return row if row is not None else (0, GENESIS)


def event_append(*, ticket: Ticket, type: str, actor, at: dt.datetime | None = None,
                 from_state: str = "", to_state: str = "", payload: dict | None = None,
                 first: bool = False) -> TicketEvent:
    """Append one event to the ticket's chain. `first=True` (a ticket created in this
    transaction) skips the read of the chain head."""
    seq, previous = (0, GENESIS) if first else _head(ticket.pk)
    event = _event(ticket.pk, seq + 1, previous, chain_key(), type=type, actor=actor, at=at,
                   from_state=from_state, to_state=to_state, payload=payload)
    event.save(force_insert=True)
    return event


def events_append(*, events: Iterable[dict]) -> list[TicketEvent]:
    """Append many events (dicts of event_append's arguments, `ticket` or `ticket_id`) in one
    read of the chain heads and one bulk insert, in the order given; the caller holds the
    row locks of their tickets."""
    events = list(events)
    if not events:
        return []
    ids = {e["ticket"].pk if "ticket" in e else e["ticket_id"] for e in events}
    last = TicketEvent.objects.filter(ticket_id=OuterRef("pk"), seq__isnull=False).order_by("-seq")
    heads = {
        pk: (seq or 0, hash_ or GENESIS)
        for pk, seq, hash_ in Ticket.objects.filter(pk__in=ids).annotate(
            head_seq=Subquery(last.values("seq")[:1]), head_hash=Subquery(last.values("hash")[:1]),
        ).values_list("pk", "head_seq", "head_hash")
    }
    key = chain_key()
    rows = []
    for e in events:
        ticket_id = e["ticket"].pk if "ticket" in e else e["ticket_id"]
        seq, previous = heads[ticket_id]
        row = _event(ticket_id, seq + 1, previous, key, type=e["type"], actor=e.get("actor"),
                     at=e.get("at"), from_state=e.get("from_state", ""), to_state=e.get("to_state", ""),
                     payload=e.get("payload"))
        heads[ticket_id] = (row.seq, row.hash)
        rows.append(row)
    return TicketEvent.objects.bulk_create(rows, batch_size=500)
