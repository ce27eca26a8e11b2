"""Reads the workbench pages need beyond tickets/selectors.py: the category picker, the
required elements of a category, a customer's earlier tickets, and everything the ticket page
shows, each batch-built (a fixed number of queries whatever the number of rows)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q

from complaintdesk.customers.models import CustomerPhone
from complaintdesk.desk.selectors import ticket_links
from complaintdesk.org.models import Department, OrgUnit
from complaintdesk.screening.services.rules import special_types as screening_special_types
from complaintdesk.sla.services.clocks import ClockView
from complaintdesk.taxonomy.models import Category, RequiredElement
from complaintdesk.taxonomy.selectors import (
    category_chain,
    effective_elements,
    owning_department_id,
)
from complaintdesk.tickets import selectors as ticket_selectors
from complaintdesk.tickets.models import Assignment, Attachment, Ticket, TicketEvent
from complaintdesk.tickets.vocabulary import OPEN_STATES

PATH_SEPARATOR = " › "
HISTORY_LIMIT = 10
# Actions whose form picks a department: only then is the department list read.
PICKER_ACTIONS = frozenset({"dispatch", "transfer", "co_handle", "handle"})


# -- the category picker -----------------------------------------------------------------------

@dataclass(frozen=True)
class CategoryOption:
    code: str
    label: str  # the path from the root, in the viewer's language: "计费账务 › 多扣费"


def category_options(*, kind: str, query: str = "") -> list[CategoryOption]:
    """The active leaves of a kind's category tree with their paths (one query: the tree is
    small and read whole), filtered by words of the path in either language."""
    if not kind:
        return []
    nodes = list(Category.objects.filter(kind=kind, active=True).order_by("path"))
    by_path = {n.path: n for n in nodes}
    steplen = Category.steplen
    words = [w.lower() for w in (query or "").split() if w]
    options = []
    for node in nodes:
        if node.numchild:
            continue
        chain = [by_path.get(node.path[:i]) for i in range(steplen, len(node.path) + 1, steplen)]
        if any(c is None for c in chain):  # an inactive ancestor hides the branch
            continue
        label = PATH_SEPARATOR.join(c.display_name for c in chain)
        haystack = " ".join(f"{c.name} {c.name_en} {c.code}" for c in chain).lower()
        if all(w in haystack for w in words):
            options.append(CategoryOption(code=node.code, label=label))
    return options


@dataclass(frozen=True)
class ChosenCategory:
    category: Category
    label: str
    elements: list[RequiredElement]


def category_with_elements(*, code: str, kind: str = "") -> ChosenCategory | None:
    """A leaf and its inherited required elements (three queries); None when unknown."""
    if not code:
        return None
    category = Category.objects.filter(code=code, active=True).first()
    if category is None or (kind and category.kind != kind) or category.numchild:
        return None
    chain = category_chain(category)
    return ChosenCategory(
        category=category,
        label=PATH_SEPARATOR.join(c.display_name for c in chain),
        elements=effective_elements(chain),
    )


def org_unit_options() -> list[tuple[str, str]]:
    """Every org unit as (code, name indented by depth), in tree order (one query)."""
    return [(u.code, "\u3000" * (u.depth - 1) + u.display_name)
            for u in OrgUnit.objects.order_by("path")]


# -- a customer's earlier tickets --------------------------------------------------------------

@dataclass(frozen=True)
class CustomerHistory:
    found: bool
    name: str
    tickets: list[Ticket]
    open_count: int
    total: int
    customer_id: int | None = None


def customer_history(*, viewer, phone: str) -> CustomerHistory:
    """The earlier tickets of the customer with this normalised number that the viewer may
    see (the repeat-complaint hint): newest first, at most HISTORY_LIMIT, with how many there
    are and how many are open. Three queries whatever the number of tickets."""
    found = CustomerPhone.objects.select_related("customer").filter(number=phone).first()
    if found is None:
        return CustomerHistory(found=False, name="", tickets=[], open_count=0, total=0)
    mine = ticket_selectors.visible_tickets(viewer).filter(customer_id=found.customer_id)
    rows = list(mine.select_related("category").order_by("-id")[:HISTORY_LIMIT])
    counts = mine.aggregate(total=Count("id"), open=Count("id", filter=Q(state__in=list(OPEN_STATES))))
    return CustomerHistory(found=True, name=found.customer.name, tickets=rows,
                           open_count=counts["open"], total=counts["total"], customer_id=found.customer_id)


# -- the repeat chain -------------------------------------------------------------------------

CHAIN_LIMIT = 50


@dataclass(frozen=True)
class RepeatChain:
    first_id: int
    tickets: list[dict]  # id, number, title, state, created_at, over_the_head, source_tier
    hidden: int  # tickets of the chain the viewer may not see


def repeat_chain(*, viewer, ticket: Ticket) -> RepeatChain | None:
    """The first ticket and its repeats, oldest first, as far as the viewer may see them (one
    query; `ticket.repeat_of` loaded); None when the ticket is in no chain."""
    if ticket.repeat_of_id is None and not ticket.repeat_count:
        return None
    first = ticket.repeat_of if ticket.repeat_of_id else ticket
    in_chain = Q(pk=first.pk) | Q(repeat_of_id=first.pk)
    rows = list(ticket_selectors.visible_tickets(viewer).filter(in_chain).order_by("created_at", "id")
                .values("id", "number", "title", "state", "created_at", "over_the_head", "source_tier")
                [:CHAIN_LIMIT])
    # The first ticket counts its repeats: the chain's size without counting it again.
    return RepeatChain(first_id=first.pk, tickets=rows, hidden=max(0, first.repeat_count + 1 - len(rows)))


# -- the ticket page ---------------------------------------------------------------------------

@dataclass
class TicketPage:
    ticket: Ticket
    assignments: list[Assignment]
    attachments: list[Attachment]
    allowed_actions: list[str]
    clocks: list[ClockView]
    events: list[dict]  # id, type, payload, created_at, from/to_state, actor__username/display_name
    category_label: str
    elements: list[tuple[RequiredElement | None, str, object]]  # (definition, key, value)
    departments: list[Department]  # the active ones, when an allowed action has a picker
    department_names: dict[str, str]  # code → name, for the timeline
    owning_department: Department | None  # of the category (the default of a dispatch)
    special_types: list = field(default_factory=list)  # when the type may be set
    chain: RepeatChain | None = None  # the repeat chain the ticket belongs to
    org_units: list = field(default_factory=list)  # (code, name) when a dispatch is allowed
    links: list = field(default_factory=list)  # desk.selectors.LinkRow
    merged_numbers: dict = field(default_factory=dict)  # ticket id → number of merged duplicates


def ticket_page(*, viewer, ticket_id: int) -> TicketPage:
    """Everything the ticket page shows; NotFound when the viewer may not see the ticket.

    ticket_get (scoped) + the events with their actors + the category chain and its elements +
    the active departments when a department picker is shown: the same count for 1 or 1,000
    events, attachments or clocks."""
    detail = ticket_selectors.ticket_get(viewer=viewer, ticket_id=ticket_id)
    ticket = detail.ticket
    # The links (one query); the duplicates merged into this ticket keep their own timelines,
    # shown here with this one's (issue 12 §5), in the same events query.
    links = ticket_links(viewer=viewer, ticket_id=ticket.pk)
    merged = {row.other_id: row.other_number for row in links if row.merged and not row.outgoing}
    # Plain rows, not model instances: a third of the cost for a long timeline.
    events = list(
        TicketEvent.objects.filter(ticket_id__in=[ticket.pk, *merged]).order_by("created_at", "id").values(
            "id", "ticket_id", "type", "payload", "created_at", "from_state", "to_state",
            "actor__username", "actor__display_name")
    )
    chain = category_chain(ticket.category)
    definitions = effective_elements(chain)
    known = {d.key for d in definitions}
    values = ticket.elements or {}
    elements = [(d, d.key, values.get(d.key)) for d in definitions]
    elements += [(None, k, v) for k, v in values.items() if k not in known]
    departments = []
    if PICKER_ACTIONS & set(detail.allowed_actions):
        departments = list(Department.objects.filter(active=True).order_by("code"))
    # Every department an event names held a part of the ticket (dispatch, transfer, return,
    # co-handling) or is its responsible department: their names are loaded already.
    names = {a.department.code: a.department.display_name for a in detail.assignments}
    if ticket.responsible_department_id:
        names[ticket.responsible_department.code] = ticket.responsible_department.display_name
    names.update((d.code, d.display_name) for d in departments)
    owner_id = owning_department_id(chain)
    owning = next((d for d in departments if d.pk == owner_id), None)
    special_types = []
    if "set_special_type" in detail.allowed_actions:
        special_types = screening_special_types()  # cached with the screening rules: no query
    return TicketPage(
        ticket=ticket, assignments=detail.assignments, attachments=detail.attachments,
        allowed_actions=detail.allowed_actions, clocks=detail.clocks, events=events,
        category_label=PATH_SEPARATOR.join(c.display_name for c in chain),
        elements=elements, departments=departments, department_names=names,
        owning_department=owning, special_types=special_types,
        chain=repeat_chain(viewer=viewer, ticket=ticket),
        org_units=org_unit_options() if "dispatch" in detail.allowed_actions else [],
        links=links, merged_numbers=merged,
    )


def last_change(*, ticket_id: int) -> TicketEvent | None:
    """The newest event of a ticket (who changed it last), for the stale-page message; only
    called after a service has refused for a stale version, i.e. the viewer may see it."""
    return (TicketEvent.objects.filter(ticket_id=ticket_id).select_related("actor")
            .order_by("-id").first())


def department_name(names: dict[str, str], code: str) -> str:
    return names.get(code, code)
