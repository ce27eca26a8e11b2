"""Rows → the facts the pure workflow reads."""

from complaintdesk.accounts.roles import Role
from complaintdesk.tickets.models import Assignment, Ticket
from complaintdesk.tickets.vocabulary import AssignmentRole, Kind, State
from complaintdesk.tickets.workflow import ActorFacts, TicketFacts, in_org_scope


def actor_facts(user) -> ActorFacts:
    org_unit = user.org_unit if user.org_unit_id else None
    return ActorFacts(
        user_id=user.pk,
        role=Role(user.role),
        department_id=user.department_id,
        org_unit_path=org_unit.path if org_unit else None,
    )


def ticket_facts(ticket: Ticket, assignments: list[Assignment]) -> TicketFacts:
    """`assignments` are the ticket's rows (any order); the org unit must be loaded."""
    assisting = frozenset(
        a.department_id for a in assignments if a.active and a.role == AssignmentRole.ASSISTING
    )
    return TicketFacts(
        kind=Kind(ticket.kind),
        state=State(ticket.state),
        org_unit_path=ticket.org_unit.path,
        lead_department_id=ticket.lead_department_id,
        lead_assignee_id=ticket.lead_assignee_id,
        assisting_department_ids=assisting,
        requires_approval=ticket.requires_approval,
        plan_submitted=bool(ticket.plan),
        plan_approved=ticket.plan_approved,
        partial=ticket.partial,
        owner_id=ticket.owner_id,
        waiting_on_customer=ticket.waiting_on_customer,
    )


def can_view(actor: ActorFacts, ticket: TicketFacts, department_ids: set[int]) -> bool:
    """The same rule as selectors.visible_tickets, for one ticket already in memory.

    `department_ids`: every department that ever held a part of the ticket."""
    if actor.role == Role.ADMIN or ticket.owner_id == actor.user_id:
        return True
    if actor.role in (Role.HANDLER, Role.DEPT_HEAD):
        return actor.department_id is not None and actor.department_id in department_ids
    return in_org_scope(actor, ticket)
