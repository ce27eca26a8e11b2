"""Reads for the audit: the hash chains' first broken links, the anchors' missing heads, and a
customer's personal-data accesses."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet

from complaintdesk.audit.chain import Break, anchor_digest, chain_key, verify_rows
from complaintdesk.audit.models import ChainAnchor, PersonalDataAccess
from complaintdesk.tickets.models import TicketEvent

CHAIN_VALUES = ("id", "ticket_id", "seq", "hash", "type", "actor_id", "created_at", "from_state",
                "to_state", "payload")
CHUNK = 2000


def chain_breaks(*, ticket_id: int | None = None) -> Iterator[Break]:
    """The first broken link of each ticket's chain (all tickets, or one), streamed from the
    database in (ticket, id) order: memory stays flat whatever the number of events."""
    rows = TicketEvent.objects.order_by("ticket_id", "id").values(*CHAIN_VALUES)
    if ticket_id is not None:
        rows = rows.filter(ticket_id=ticket_id)
    return verify_rows(rows.iterator(chunk_size=CHUNK), chain_key())


@dataclass(frozen=True)
class AnchorBreak:
    day: str
    ticket_id: int | None
    problem: str  # anchor_altered | anchor_chain | head_missing
    detail: str


def anchor_breaks(*, ticket_id: int | None = None) -> Iterator[AnchorBreak]:
    """Check the anchors: each digest over its day and heads, each linked to the day before,
    and each head it names still in place (an event deleted from the end of a chain)."""
    key = chain_key()
    previous = ""
    for anchor in ChainAnchor.objects.order_by("day").iterator(chunk_size=100):
        day = anchor.day.isoformat()
        if anchor.previous != previous:
            yield AnchorBreak(day, None, "anchor_chain", "the anchor before this day was changed or deleted")
        if not hmac.compare_digest(anchor_digest(key, anchor.previous, day, anchor.heads), anchor.digest):
            yield AnchorBreak(day, None, "anchor_altered", "the anchor's heads or digest were changed")
        previous = anchor.digest
        heads = {int(t): tuple(v) for t, v in anchor.heads.items()
                 if ticket_id is None or int(t) == ticket_id}
        ids = sorted(heads)
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            present = {(t, s): h for t, s, h in TicketEvent.objects.filter(
                ticket_id__in=part, seq__in={heads[t][0] for t in part}).values_list("ticket_id", "seq", "hash")}
            for t in part:
                seq, want = heads[t]
                got = present.get((t, seq))
                if got is None or not hmac.compare_digest(got, want):
                    yield AnchorBreak(day, t, "head_missing",
                                      f"event {seq}, the chain's last on {day}, is gone or was replaced")


def customer_accesses(*, customer_id: int) -> QuerySet:
    """Every recorded read or export of one customer's personal data, newest first."""
    return (PersonalDataAccess.objects.filter(subjects__contains=f",{int(customer_id)},")
            .select_related("actor").order_by("-at", "-id"))
