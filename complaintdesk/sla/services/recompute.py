"""Recompute deadlines that reached into a year nobody had entered ("calendar missing").

When the admin enters a calendar year (the State Council publishes the next year's holidays
in the autumn; chinese-calendar follows later), every running clock flagged "calendar
missing" is computed again from its history: one ticket per transaction, the ticket row
locked first as every workflow event does, so a transition and a recompute never interleave.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from complaintdesk.sla.models import TicketClock
from complaintdesk.sla.services.clocks import LIVE, clocks_recompute
from complaintdesk.sla.services.policies import sla_config_changed
from complaintdesk.tickets.models import Ticket


@dataclass(frozen=True)
class RecomputeResult:
    tickets: int  # tickets that had a clock without a calendar
    clocks_changed: int
    still_missing: int  # tickets still waiting for a year nobody has entered


def clocks_recompute_missing(*, at: dt.datetime) -> RecomputeResult:
    sla_config_changed()  # this process must see the year just entered
    ticket_ids = list(
        TicketClock.objects.filter(calendar_missing=True, state__in=LIVE)
        .order_by("ticket_id").values_list("ticket_id", flat=True).distinct()
    )
    changed = 0
    for ticket_id in ticket_ids:
        with transaction.atomic():
            ticket = (Ticket.objects.select_for_update().select_related("category")
                      .filter(pk=ticket_id).first())
            if ticket is not None:
                changed += clocks_recompute(ticket=ticket, at=at)
    still = (TicketClock.objects.filter(calendar_missing=True, state__in=LIVE)
             .values("ticket_id").distinct().count())
    return RecomputeResult(tickets=len(ticket_ids), clocks_changed=changed, still_missing=still)
