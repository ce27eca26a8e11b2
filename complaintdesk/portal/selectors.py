"""The portal's reads: what a customer may choose when filing, and their case as they may see
it — state in customer words and a public timeline. Staff names, departments, internal
notes, reasons and handling details never leave this module."""

import datetime as dt
from dataclasses import dataclass, field

from complaintdesk.core.errors import ValidationFailed
from complaintdesk.core.i18n import pick
from complaintdesk.core.phones import normalize_phone
from complaintdesk.portal.codes import keyed_hash, keyed_hashes, normalize_code, same
from complaintdesk.portal.models import PortalTicket
from complaintdesk.portal.workflow import (
    CUSTOMER_KINDS,
    PORTAL_USERNAME,
    PublicStatus,
    PublicStep,
    Rating,
    Step,
    public_status,
    public_timeline,
    rating_possible,
)
from complaintdesk.taxonomy.models import Category, RequiredElement
from complaintdesk.taxonomy.selectors import category_chain, effective_elements
from complaintdesk.tickets.models import TicketEvent
from complaintdesk.tickets.vocabulary import Kind

PATH_SEPARATOR = " › "


def customer_kinds() -> list[tuple[str, str]]:
    return [(k.value, k.label) for k in CUSTOMER_KINDS]


@dataclass(frozen=True)
class CategoryOption:
    code: str
    label: str  # the path, root first, in the viewer's language


def portal_categories(*, kind: str, query: str = "") -> list[CategoryOption]:
    """The kind's active leaf categories with their path; one query."""
    if kind not in {k.value for k in CUSTOMER_KINDS}:
        return []
    nodes = list(Category.objects.filter(kind=kind).order_by("path")
                 .only("path", "depth", "numchild", "code", "name", "name_en", "active"))
    names = {n.path: (n.display_name, n.active) for n in nodes}
    step = Category.steplen
    needle = (query or "").strip().casefold()
    options = []
    for node in nodes:
        if node.numchild or not node.active:
            continue
        parts = [names.get(node.path[: step * i], ("", True)) for i in range(1, node.depth + 1)]
        if not all(active for _name, active in parts):
            continue  # under a retired branch
        label = PATH_SEPARATOR.join(name for name, _active in parts)
        if needle and needle not in label.casefold() and needle not in node.code:
            continue
        options.append(CategoryOption(node.code, label))
    return options


@dataclass(frozen=True)
class ElementField:
    key: str
    name: str  # the form field's name
    label: str
    type: str
    required: bool
    choices: list[tuple[str, str]] = field(default_factory=list)


def portal_elements(*, kind: str, category: str) -> list[ElementField]:
    """The required elements of a leaf category of the kind; [] for anything else."""
    if not category:
        return []
    node = Category.objects.filter(code=category, active=True, kind=kind, numchild=0).first()
    if node is None:
        return []
    rows: list[RequiredElement] = effective_elements(category_chain(node))
    return [
        ElementField(
            key=e.key, name=f"el_{e.key}", label=e.display_label, type=e.type, required=e.required,
            choices=[(str(c.get("value")), pick(c.get("label", ""), c.get("label_en", "")) or str(c.get("value")))
                     for c in e.choices or []],
        )
        for e in rows
    ]


# --- lookup ----------------------------------------------------------------------------------

_DUMMY = keyed_hash("no such phone", purpose="phone")


def portal_find(*, code: str, phone: str) -> int | None:
    """The ticket id when both the tracking code and the phone match; None otherwise, with the
    same answer (and about the same work) for an unknown code and a wrong phone."""
    code = normalize_code(code)
    try:
        number = normalize_phone(phone)
    except ValidationFailed:
        number = ""
    row = (PortalTicket.objects.filter(code_hash__in=keyed_hashes(code, purpose="code") if code else ["-"])
           .values("ticket_id", "phone_hash").first())
    stored = row["phone_hash"] if row else _DUMMY
    matched = False
    for candidate in keyed_hashes(number or "-", purpose="phone"):
        matched |= same(candidate, stored)  # every key compared: no early exit
    return row["ticket_id"] if row and matched and number else None


# --- the case as the customer sees it --------------------------------------------------------

@dataclass
class PortalCase:
    ticket_id: int
    number: str
    kind_label: str
    category_label: str
    filed_at: dt.datetime
    status: str
    steps: list[PublicStep]
    reply: str
    question: str
    can_answer: bool
    can_rate: bool
    rating: str

    @property
    def status_label(self):
        return PublicStatus.LABELS[self.status]

    @property
    def status_explanation(self):
        return PublicStatus.EXPLANATIONS[self.status]


def portal_case(*, ticket_id: int) -> PortalCase | None:
    """Two queries whatever the length of the timeline."""
    case = (PortalTicket.objects.select_related("ticket__category")
            .only("ticket_id", "rated_at", "rating", "created_at", "ticket__number", "ticket__kind",
                  "ticket__state", "ticket__waiting_on_customer", "ticket__reply_text",
                  "ticket__category__name", "ticket__category__name_en")
            .filter(ticket_id=ticket_id).first())
    if case is None:
        return None
    ticket = case.ticket
    events = list(
        TicketEvent.objects.filter(ticket_id=ticket_id).order_by("id")
        .values("type", "created_at", "to_state", "payload", "actor__username")
    )
    for e in events:
        e["by_portal"] = e.pop("actor__username") == PORTAL_USERNAME
    steps = public_timeline(events)
    status = public_status(ticket.state, ticket.waiting_on_customer)
    question = ""
    if status == PublicStatus.WAITING_ON_YOU:
        asked = [s for s in steps if s.step == Step.INFO_REQUESTED]
        question = asked[-1].text if asked else ""
    return PortalCase(
        ticket_id=ticket.pk, number=ticket.number, kind_label=Kind(ticket.kind).label,
        category_label=ticket.category.display_name, filed_at=case.created_at, status=status,
        steps=steps, reply=ticket.reply_text,
        question=question, can_answer=status == PublicStatus.WAITING_ON_YOU,
        can_rate=rating_possible(state=ticket.state, reply_text=ticket.reply_text, rated=case.rated_at is not None), rating=case.rating,
    )


def portal_number_to_id(*, number: str) -> int | None:
    return (PortalTicket.objects.filter(ticket__number=number).values_list("ticket_id", flat=True).first())


@dataclass(frozen=True)
class CustomerRating:
    rating: str  # workflow.Rating value
    comment: str
    rated_at: dt.datetime

    @property
    def label(self):
        return dict(Rating.choices())[self.rating]


def portal_rating(*, ticket_id: int) -> CustomerRating | None:
    """For the staff's ticket page: the customer's own evaluation given on the portal (also
    when it came after the callback, or on an inquiry that closed with the reply)."""
    row = (PortalTicket.objects.filter(ticket_id=ticket_id, rated_at__isnull=False)
           .values("rating", "rating_comment", "rated_at").first())
    if row is None:
        return None
    return CustomerRating(row["rating"], row["rating_comment"], row["rated_at"])
