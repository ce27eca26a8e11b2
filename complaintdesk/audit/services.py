"""The writers of the audit records: personal-data accesses and the daily chain anchors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from complaintdesk.audit.chain import anchor_digest, chain_key
from complaintdesk.audit.models import ChainAnchor, PersonalDataAccess
from complaintdesk.audit.vocabulary import AccessKind
from complaintdesk.tickets.models import TicketEvent

PATH_MAX = 500


def access_record(*, actor, kind: AccessKind, customer_ids: Iterable[int], ticket_id: int | None = None,
                  full_phones: bool = False, path: str = "", at: dt.datetime | None = None) -> PersonalDataAccess | None:
    """Record one read or export of personal data: one INSERT whatever the number of
    customers (a list or an export collects their ids first). Nothing shown, nothing
    recorded."""
    ids = sorted({int(c) for c in customer_ids if c is not None})
    if not ids or actor is None or not getattr(actor, "pk", None):
        return None
    return PersonalDataAccess.objects.create(
        at=at or timezone.now(), actor_id=actor.pk, kind=kind, ticket_id=ticket_id,
        subjects="," + ",".join(map(str, ids)) + ",", count=len(ids), full_phones=full_phones,
        path=path[:PATH_MAX],
    )


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def chain_anchor_day(*, day: dt.date, now: dt.datetime | None = None) -> ChainAnchor | None:
    """Anchor one (local) day: the last (seq, hash) of every chain that grew that day, linked
    to the previous anchor. One read of that day's events. A day already anchored is left
    alone (returns None)."""
    start, end = _day_bounds(day)
    heads: dict[str, list] = {}
    for ticket_id, seq, hash_ in (TicketEvent.objects.filter(created_at__gte=start, created_at__lt=end,
                                                             seq__isnull=False)
                                  .order_by("ticket_id", "seq").values_list("ticket_id", "seq", "hash")
                                  .iterator(chunk_size=5000)):
        heads[str(ticket_id)] = [seq, hash_]
    with transaction.atomic():
        last = ChainAnchor.objects.select_for_update().order_by("-day").first()
        if last is not None and last.day >= day:
            return None
        previous = last.digest if last is not None else ""
        digest = anchor_digest(chain_key(), previous, day.isoformat(), heads)
        try:
            with transaction.atomic():
                return ChainAnchor.objects.create(day=day, created_at=now or timezone.now(), heads=heads,
                                                  previous=previous, digest=digest)
        except IntegrityError:  # another worker anchored it meanwhile
            return None


def chain_anchor_due(*, now: dt.datetime | None = None) -> int:
    """Anchor every finished day since the last anchor (from the first event's day when there
    is none). Idempotent; run daily by the worker. Returns the days anchored."""
    now = now or timezone.now()
    yesterday = timezone.localdate(now) - dt.timedelta(days=1)
    last = ChainAnchor.objects.order_by("-day").values_list("day", flat=True).first()
    if last is not None:
        day = last + dt.timedelta(days=1)
    else:
        first = TicketEvent.objects.order_by("created_at").values_list("created_at", flat=True).first()
        if first is None:
            return 0
        day = timezone.localdate(first)
    done = 0
    while day <= yesterday:
        if chain_anchor_day(day=day, now=now) is not None:
            done += 1
        day += dt.timedelta(days=1)
    return done
