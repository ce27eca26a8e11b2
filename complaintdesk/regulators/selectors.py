"""Reads of regulator transfers, scoped to the viewer: a ticket's transfer for its page, and
the rows of a reply sheet (one ticket, a selection, or a regulator's transfers of a period)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from complaintdesk.regulators.models import RegulatorDeadline, RegulatorProfile, RegulatorTransfer
from complaintdesk.regulators.vocabulary import Party
from complaintdesk.sla.models import TicketClock
from complaintdesk.sla.vocabulary import ClockType
from complaintdesk.tickets.selectors import visible_tickets

SHEET_MAX_ROWS = 10_000


def ticket_transfer(*, ticket_id: int) -> RegulatorTransfer | None:
    """The transfer of a ticket the caller already may see (one query)."""
    return (RegulatorTransfer.objects.select_related("profile", "matter")
            .filter(ticket_id=ticket_id).first())


def regulator_steps(*, profile_id: int) -> list[RegulatorDeadline]:
    """The regulator's own steps (shown beside our deadline, not run as a clock)."""
    return list(RegulatorDeadline.objects.filter(profile_id=profile_id, party=Party.REGULATOR)
                .select_related("matter").order_by("amount"))


@dataclass(frozen=True)
class SheetRow:
    ticket: object
    transfer: RegulatorTransfer
    clock: TicketClock | None  # the REGULATOR clock: replied when, on time or not


def sheet_rows(*, viewer, profile: RegulatorProfile, start: dt.datetime | None = None,
               end: dt.datetime | None = None, ticket_ids: list[int] | None = None,
               limit: int = SHEET_MAX_ROWS) -> list[SheetRow]:
    """The transfers of `profile` the viewer may see: those transferred in [start, end), or
    the tickets `ticket_ids`; oldest transfer first. Two queries whatever the number."""
    tickets = (visible_tickets(viewer).filter(regulator_transfer__profile=profile)
               .select_related("regulator_transfer", "regulator_transfer__matter", "customer",
                               "lead_department", "responsible_department")
               .order_by("regulator_transfer__transferred_at", "pk"))
    if ticket_ids is not None:
        tickets = tickets.filter(pk__in=ticket_ids)
    if start is not None:
        tickets = tickets.filter(regulator_transfer__transferred_at__gte=start)
    if end is not None:
        tickets = tickets.filter(regulator_transfer__transferred_at__lt=end)
    rows = list(tickets[:limit])
    clocks: dict[int, TicketClock] = {}
    for clock in (TicketClock.objects.filter(ticket_id__in=[t.pk for t in rows], clock=ClockType.REGULATOR)
                  .order_by("cycle", "pk")):
        clocks[clock.ticket_id] = clock  # the latest cycle's
    return [SheetRow(ticket=t, transfer=t.regulator_transfer, clock=clocks.get(t.pk)) for t in rows]


def profiles_full() -> list[RegulatorProfile]:
    """Active profiles with everything they hold (five queries whatever their number)."""
    return list(RegulatorProfile.objects.filter(active=True).order_by("code")
                .prefetch_related("matters", "deadlines", "extensions", "admissibility_rules"))
