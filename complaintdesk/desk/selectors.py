"""Reads of the ticket tools: the staff picker, a ticket's links, the duplicates merged into
it. Each a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from complaintdesk.accounts.models import User
from complaintdesk.accounts.roles import CENTRE_ROLES, DEPARTMENT_ROLES, Role
from complaintdesk.desk.models import TicketLink
from complaintdesk.org.models import OrgUnit
from complaintdesk.tickets.models import Assignment
from complaintdesk.tickets.selectors import visible_tickets

PICKER_LIMIT = 15
PURPOSES = ("dispatch", "transfer", "mention")


@dataclass(frozen=True)
class StaffOption:
    username: str
    label: str  # "name · department" in the viewer's language


def staff_options(*, viewer, query: str, purpose: str, ticket_id: int | None = None) -> list[StaffOption]:
    """Active staff accounts matching the words typed (username or name), for the picker:
    - dispatch / transfer: department accounts (who can be named on an assignment);
    - mention: the colleagues who may see the ticket (a mention tells them its title); the
      viewer must see it too.
    One query (two for a mention: the ticket and its departments, then the accounts)."""
    query = (query or "").strip()[:50]
    users = User.objects.filter(is_active=True).select_related("department", "org_unit")
    if purpose in ("dispatch", "transfer"):
        users = users.filter(role__in=[r.value for r in DEPARTMENT_ROLES], department__isnull=False,
                             department__active=True)
    elif purpose == "mention":
        ticket = (visible_tickets(viewer).filter(pk=ticket_id).select_related("org_unit")
                  .values("pk", "owner_id", "org_unit__path").first() if ticket_id else None)
        if ticket is None:
            return []
        path, steplen = ticket["org_unit__path"], OrgUnit.steplen
        prefixes = [path[:i] for i in range(steplen, len(path) + 1, steplen)]
        # The same rule as tickets.facts.can_view, for every account at once.
        departments = Assignment.objects.filter(ticket_id=ticket["pk"]).values("department_id")
        users = users.filter(
            Q(role=Role.ADMIN.value) | Q(pk=ticket["owner_id"])
            | Q(role__in=[r.value for r in DEPARTMENT_ROLES], department_id__in=departments)
            | Q(role__in=[r.value for r in CENTRE_ROLES], org_unit__path__in=prefixes)
        )
    else:
        return []
    if query:
        users = users.filter(Q(username__icontains=query) | Q(display_name__icontains=query))
    out = []
    for u in users.order_by("username")[:PICKER_LIMIT]:
        where = u.department.display_name if u.department_id else (u.org_unit.display_name if u.org_unit_id else "")
        name = u.display_name or u.username
        out.append(StaffOption(username=u.username, label=f"{name} · {where}" if where else name))
    return out


@dataclass(frozen=True)
class LinkRow:
    id: int
    type: str
    other_id: int
    other_number: str
    other_title: str
    other_state: str
    outgoing: bool  # this ticket is `ticket` of the link (the duplicate, for duplicate_of)
    merged: bool


def ticket_links(*, viewer, ticket_id: int) -> list[LinkRow]:
    """The links of a ticket, both directions, to the tickets the viewer may see (one query)."""
    visible = visible_tickets(viewer).values("pk")
    rows = (TicketLink.objects.filter(Q(ticket_id=ticket_id, other_id__in=visible)
                                      | Q(other_id=ticket_id, ticket_id__in=visible))
            .select_related("ticket", "other").order_by("created_at", "id"))
    out = []
    for link in rows:
        outgoing = link.ticket_id == ticket_id
        them = link.other if outgoing else link.ticket
        out.append(LinkRow(id=link.pk, type=link.type, other_id=them.pk, other_number=them.number or str(them.pk),
                           other_title=them.title, other_state=them.state, outgoing=outgoing,
                           merged=link.merged_at is not None))
    return out
