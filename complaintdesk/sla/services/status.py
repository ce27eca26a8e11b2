"""A ticket's deadline status (on time / at risk / overdue), kept on the ticket so that
worklists filter on one indexed column instead of joining the clocks."""

import datetime as dt

from django.db.models import Q

from complaintdesk.sla.models import TicketClock
from complaintdesk.sla.vocabulary import ClockState, SlaStatus
from complaintdesk.tickets.models import Ticket


def sla_status_of(clocks, now: dt.datetime) -> SlaStatus:
    """From the ticket's clocks in memory: overdue if a running clock is past its deadline,
    at risk if one is past its warning point."""
    status = SlaStatus.OK
    for clock in clocks:
        if clock.state != ClockState.RUNNING:
            continue
        if clock.due_at is not None and clock.due_at <= now:
            return SlaStatus.OVERDUE
        if clock.warn_at is not None and clock.warn_at <= now:
            status = SlaStatus.AT_RISK
    return status


def ticket_sla_status_refresh(*, ticket_id: int, now: dt.datetime, clocks=None,
                              ticket: Ticket | None = None, store: bool = True) -> SlaStatus:
    """Recompute and store the status (and the calendar-missing flag) from the running clocks.

    `clocks`: the ticket's clocks already in memory (at least every running and paused one),
    to spare the query; `ticket`: the row in memory, to spare a write that changes nothing
    (and to keep it in step); `store=False` only sets them on `ticket`, for a caller that is
    about to save the ticket anyway (a workflow transition)."""
    live = (ClockState.RUNNING, ClockState.PAUSED)
    if clocks is None:
        clocks = list(TicketClock.objects.filter(ticket_id=ticket_id).filter(
            Q(state=ClockState.RUNNING) | Q(state=ClockState.PAUSED)))
    else:
        clocks = [c for c in clocks if c.state in live]
    status = sla_status_of(clocks, now)
    missing = any(c.calendar_missing for c in clocks)
    if ticket is not None and ticket.sla_status == status and ticket.calendar_missing == missing:
        return status
    if not store and ticket is not None:
        ticket.sla_status, ticket.calendar_missing = status, missing
        return status
    Ticket.objects.filter(pk=ticket_id).exclude(sla_status=status, calendar_missing=missing).update(
        sla_status=status, calendar_missing=missing)
    if ticket is not None:
        ticket.sla_status, ticket.calendar_missing = status, missing
    return status
