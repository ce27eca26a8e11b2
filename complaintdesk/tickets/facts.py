"""Rows → the facts the pure workflow reads."""

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from complaintdesk.accounts.roles import DEPARTMENT_ROLES, FULL_PHONE_ROLES, Role
from complaintdesk.incidents.models import IncidentMember
from complaintdesk.tickets.models import Assignment, Ticket
from complaintdesk.tickets.vocabulary import AssignmentRole, Kind, State, TicketFlag
from complaintdesk.tickets.workflow import ActorFacts, TicketFacts, in_org_scope


def actor_facts(user) -> ActorFacts:
    org_unit = user.org_unit if user.org_unit_id else None
    return ActorFacts(
        user_id=user.pk,
        role=Role(user.role),
        department_id=user.department_id,
        org_unit_path=org_unit.path if org_unit else None,
    )


def callback_max_attempts() -> int:
    """How many failed callback calls close a ticket as "callback failed" (at least 1)."""
    return max(1, int(getattr(settings, "CALLBACK_MAX_ATTEMPTS", 3)))


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
        special=ticket.special,
        linked=ticket.repeat_of_id is not None,
        callback_attempts=ticket.callback_attempts,
        callback_max_attempts=callback_max_attempts(),
        source_tier=ticket.source_tier,
    )


def can_view(actor: ActorFacts, ticket: TicketFacts, department_ids: set[int]) -> bool:
    """The same rule as selectors.visible_tickets, for one ticket already in memory.

    `department_ids`: every department that ever held a part of the ticket."""
    if actor.role == Role.ADMIN or ticket.owner_id == actor.user_id:
        return True
    if actor.role in (Role.HANDLER, Role.DEPT_HEAD):
        return actor.department_id is not None and actor.department_id in department_ids
    return in_org_scope(actor, ticket)


def sees_full_phones(viewer, ticket: Ticket) -> bool:
    """Whether the viewer sees this ticket's phone numbers in full or masked: the centre's
    roles and administrators in full, a department only while it leads the ticket, leaders
    and assisting departments masked. No query (the ticket's lead department is a column)."""
    role = getattr(viewer, "role", None)
    if role in FULL_PHONE_ROLES:
        return True
    if role in DEPARTMENT_ROLES:
        return viewer.department_id is not None and viewer.department_id == ticket.lead_department_id
    return False


def full_phones_q(viewer) -> Q | None:
    """The rule of `sees_full_phones` as a condition on tickets: which of them the viewer may
    find by phone number (None: none; a search by phone is no oracle for masked numbers)."""
    role = getattr(viewer, "role", None)
    if role in FULL_PHONE_ROLES:
        return Q()
    if role in DEPARTMENT_ROLES and viewer.department_id is not None:
        return Q(lead_department_id=viewer.department_id)
    return None
# -- flags: the one place that says which flags a ticket carries ---------------------------
# The API's `flags`, the `?flag=` filter, the badges and the worklists all read these two
# functions, so a new flag is added here once. INCIDENT (membership of an incident, issue 9 §3)
# is not a column of the ticket: rows carry it when annotated with IN_INCIDENT (the API's list)
# and the detail adds it from the incident it reads.

def ticket_flags(ticket: Ticket) -> list[str]:
    """The ticket's flags, in the vocabulary's order; reads only the ticket's own columns."""
    flags = []
    if ticket.repeat_of_id is not None:
        flags.append(TicketFlag.REPEAT.value)
    if ticket.over_the_head:
        flags.append(TicketFlag.OVER_THE_HEAD.value)
    if ticket.special:
        flags.append(TicketFlag.SPECIAL.value)
    if getattr(ticket, "in_incident", False):
        flags.append(TicketFlag.INCIDENT.value)
    return flags


def flag_condition(flag: TicketFlag) -> Q:
    """The tickets carrying a flag, as a condition on Ticket (lists, counts, the API filter)."""
    if flag == TicketFlag.REPEAT:
        return Q(repeat_of__isnull=False)
    if flag == TicketFlag.OVER_THE_HEAD:
        return Q(over_the_head=True)
    if flag == TicketFlag.SPECIAL:
        return Q(special=True)
    return Q(Exists(IncidentMember.objects.filter(ticket_id=OuterRef("pk"))))  # INCIDENT


def in_incident_annotation() -> dict:
    """`annotate(**in_incident_annotation())` sets `in_incident` on each row (one index probe)."""
    return {"in_incident": Exists(IncidentMember.objects.filter(ticket_id=OuterRef("pk")))}
