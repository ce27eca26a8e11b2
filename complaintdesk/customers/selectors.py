"""Reads of customers: the customer page and the segment-callback worklist, scoped to the
viewer (customers/scope.py) and batch-built (a fixed number of queries)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.roles import DEPARTMENT_ROLES, FULL_PHONE_ROLES
from complaintdesk.core.errors import NotFound
from complaintdesk.customers import segments
from complaintdesk.customers.models import CallbackTask, CallbackTaskState, Customer, CustomerPhone
from complaintdesk.customers.scope import callback_tasks_visible, visible_customers
from complaintdesk.tickets.facts import ticket_flags
from complaintdesk.tickets.selectors import visible_tickets
from complaintdesk.tickets.vocabulary import OPEN_STATES, TicketFlag

TICKETS_SHOWN = 500


@dataclass
class CustomerPage:
    customer: Customer
    segment: str  # on today's date (segments.segment_on)
    phones: list[CustomerPhone]  # current first, then the history
    tickets: list  # the viewer's scope, newest first (at most TICKETS_SHOWN)
    total: int
    open_count: int
    repeat_count: int
    over_the_head_count: int
    repeat_ids: set[int]
    over_the_head_ids: set[int]
    callbacks: list[CallbackTask]  # open segment callbacks
    full_phones: bool  # the viewer sees the numbers in full (else masked; docs/security.md §7)


def _sees_full_phones(viewer, tickets) -> bool:
    """As for a ticket (tickets.facts.sees_full_phones): the centre's roles in full, a
    department while it leads one of the customer's tickets, everyone else masked."""
    if viewer.role in FULL_PHONE_ROLES:
        return True
    if viewer.role in DEPARTMENT_ROLES and viewer.department_id:
        return any(t.lead_department_id == viewer.department_id for t in tickets)
    return False


def _repeats(tickets) -> tuple[set[int], set[int]]:
    """The repeat and over-the-head complaints among the tickets shown, as flagged at
    registration (tickets.facts.ticket_flags: `repeat_of`, `over_the_head`)."""
    flags = {t.pk: ticket_flags(t) for t in tickets}
    return ({pk for pk, f in flags.items() if TicketFlag.REPEAT.value in f},
            {pk for pk, f in flags.items() if TicketFlag.OVER_THE_HEAD.value in f})


def customer_page(*, viewer, customer_id: int, today: dt.date | None = None) -> CustomerPage:
    """Five queries whatever the number of phones, tickets and callbacks."""
    customer = visible_customers(viewer).select_related("org_unit").filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("No such customer."))
    today = today or timezone.localdate()
    phones = sorted(CustomerPhone.objects.filter(customer=customer).select_related("changed_by"),
                    key=lambda p: (p.valid_to is not None, -(p.valid_to.timestamp() if p.valid_to else 0), p.pk))
    tickets = list(visible_tickets(viewer).filter(customer=customer).select_related("category")
                   .defer("description", "elements", "plan", "handling_notes", "reply_text")
                   .order_by("-id")[:TICKETS_SHOWN])
    repeat, above = _repeats(tickets)
    callbacks = list(callback_tasks_visible(viewer).filter(customer=customer, state=CallbackTaskState.OPEN)
                     .order_by("due_on", "id"))
    return CustomerPage(
        customer=customer,
        segment=segments.segment_on(today=today, since=customer.customer_since,
                                    contract_end=customer.contract_end, recorded=customer.segment),
        phones=phones, tickets=tickets, total=len(tickets),
        open_count=sum(1 for t in tickets if t.state in OPEN_STATES),
        repeat_count=len(repeat), over_the_head_count=len(above), repeat_ids=repeat,
        over_the_head_ids=above, callbacks=callbacks, full_phones=_sees_full_phones(viewer, tickets),
    )


def callback_worklist(*, viewer, due_by: dt.date | None = None, limit: int = 200) -> list[CallbackTask]:
    """Open segment callbacks of the viewer's customers, due first; with each customer and
    their current phone numbers (three queries whatever the length)."""
    tasks: QuerySet = callback_tasks_visible(viewer).filter(state=CallbackTaskState.OPEN)
    if due_by is not None:
        tasks = tasks.filter(due_on__lte=due_by)
    rows = list(tasks.select_related("customer").order_by("due_on", "id")[:limit])
    phones: dict[int, list[str]] = {}
    for customer_id, number in (CustomerPhone.objects
                                .filter(customer_id__in={t.customer_id for t in rows}, valid_to__isnull=True)
                                .order_by("id").values_list("customer_id", "number")):
        phones.setdefault(customer_id, []).append(number)
    for t in rows:
        t.current_phones = phones.get(t.customer_id, [])
    return rows
