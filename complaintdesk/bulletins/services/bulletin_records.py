"""The records a bulletin is drafted from: for the period and the issuing unit's subtree, the
tickets behind each kind of line, grouped by the ticket's own org unit. Five queries, each on
an index of its record (ledger by unit and time, events by type and time, tickets by time,
root causes by time), whatever the number of tickets."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone

from complaintdesk.bulletins.vocabulary import LineKind
from complaintdesk.capa.models import TicketRootCause
from complaintdesk.monthly.workflow import Period
from complaintdesk.org.models import OrgUnit
from complaintdesk.sla.models import LedgerEntry
from complaintdesk.sla.vocabulary import LedgerReason
from complaintdesk.tickets.models import Ticket, TicketEvent
from complaintdesk.tickets.vocabulary import EventType

TICKETS_PER_LINE = 200  # a line names at most this many tickets (the count says how many there are)


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


def bulletin_records(*, unit: OrgUnit, period: Period) -> list[dict]:
    """[{"kind", "org_unit_id", "tickets": [{"id", "number"}], "count"}] in a stable order:
    by kind (the vocabulary's order), then unit path."""
    unit_ids = list(OrgUnit.objects.filter(path__startswith=unit.path).values_list("id", flat=True))
    start, end = _start(period.start), _start(period.end + dt.timedelta(days=1))
    found: dict[tuple[str, int], dict[int, str]] = defaultdict(dict)

    def add(kind, rows):
        for ticket_id, number, unit_id in rows:
            found[(kind, unit_id)].setdefault(ticket_id, number or f"#{ticket_id}")

    # Serious delays: deadlines missed and escalated into the complaint ledger in the period.
    add(LineKind.SERIOUS_DELAY, LedgerEntry.objects.filter(
        reason=LedgerReason.BREACH, org_unit_id__in=unit_ids, opened_at__gte=start, opened_at__lt=end)
        .order_by("opened_at").values_list("ticket_id", "ticket__number", "ticket__org_unit_id"))
    add(LineKind.AUDIT_REJECTION, TicketEvent.objects.filter(
        type=EventType.AUDIT_REJECTED, created_at__gte=start, created_at__lt=end,
        ticket__org_unit_id__in=unit_ids)
        .order_by("created_at").values_list("ticket_id", "ticket__number", "ticket__org_unit_id"))
    registered = Ticket.objects.filter(org_unit_id__in=unit_ids, created_at__gte=start, created_at__lt=end)
    add(LineKind.REPEAT, registered.filter(repeat_of__isnull=False).order_by("created_at")
        .values_list("id", "number", "org_unit_id"))
    add(LineKind.OVER_THE_HEAD, registered.filter(over_the_head=True).order_by("created_at")
        .values_list("id", "number", "org_unit_id"))
    # Violations: a penalty or accountability recorded on the ticket in the period (capa/); the
    # note itself stays where its roles may read it, the bulletin names the tickets only.
    add(LineKind.VIOLATION, TicketRootCause.objects.filter(
        recorded_at__gte=start, recorded_at__lt=end, ticket__org_unit_id__in=unit_ids)
        .exclude(accountability="").order_by("recorded_at")
        .values_list("ticket_id", "ticket__number", "ticket__org_unit_id"))

    paths = dict(OrgUnit.objects.filter(pk__in={u for _k, u in found}).values_list("id", "path"))
    order = {k.value: i for i, k in enumerate(LineKind)}
    lines = []
    for (kind, unit_id), tickets in sorted(found.items(), key=lambda kv: (order[kv[0][0]], paths.get(kv[0][1], ""))):
        refs = [{"id": tid, "number": number} for tid, number in tickets.items()]
        lines.append({"kind": str(kind), "org_unit_id": unit_id, "count": len(refs),
                      "tickets": refs[:TICKETS_PER_LINE]})
    return lines
