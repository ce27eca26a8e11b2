"""Who is concerned by a ticket: the people a deadline message or a workflow notification
goes to, for a whole batch of tickets from one query (the deadline scan and the workflow's
notifications share it)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import F, Q

from complaintdesk.accounts.models import User
from complaintdesk.accounts.roles import Role
from complaintdesk.org.models import OrgUnit
from complaintdesk.sla.vocabulary import EscalationTarget
from complaintdesk.tickets.models import Ticket

log = logging.getLogger(__name__)


class People:
    """The recipients of a batch's messages, read in one query.

    supervisor / leader: staff of that role in the ticket's org unit, or else in the nearest
    unit up the tree that has some. dept_head: the head(s) of the department holding the
    ticket; with none (no department holds it, or it has no head) the supervisors stand in,
    as they do for a leader missing everywhere up the tree. assignee: the lead assignee, else
    the lead department's handlers, else the ticket's owner (first-contact responsibility).
    """

    UNIT_ROLES = {EscalationTarget.SUPERVISOR: Role.SUPERVISOR, EscalationTarget.LEADER: Role.LEADER}

    def __init__(self, users: list[User]):
        self.by_unit_role: dict[tuple[str, str], list[User]] = defaultdict(list)
        self.by_dept_role: dict[tuple[int, str], list[User]] = defaultdict(list)
        self.by_id: dict[int, User] = {u.pk: u for u in users}
        for u in users:
            if u.role in (Role.SUPERVISOR, Role.LEADER) and u.unit_path:
                self.by_unit_role[(u.unit_path, u.role)].append(u)
            if u.role in (Role.HANDLER, Role.DEPT_HEAD) and u.department_id:
                self.by_dept_role[(u.department_id, u.role)].append(u)

    @classmethod
    def load(cls, tickets: Iterable[Ticket], *, targets: set, user_ids: Iterable[int] = ()) -> People:
        """`user_ids`: named people to read in the same query (see `user`)."""
        tickets = list(tickets)
        user_ids = sorted(set(user_ids))
        if (targets == {EscalationTarget.ASSIGNEE} and not user_ids
                and all(active(t.lead_assignee) for t in tickets)):
            return cls([])  # every ticket has its assignee: nobody else to look up
        unit_roles = {Role.SUPERVISOR}  # the stand-in of every target
        if EscalationTarget.LEADER in targets:
            unit_roles.add(Role.LEADER)
        dept_roles = set()
        if EscalationTarget.ASSIGNEE in targets:
            dept_roles.add(Role.HANDLER)
        if EscalationTarget.DEPT_HEAD in targets:
            dept_roles.add(Role.DEPT_HEAD)
        paths = {p for t in tickets for p in ancestor_paths(t.org_unit.path)}
        query = Q(role__in=sorted(unit_roles), org_unit__path__in=sorted(paths))
        dept_ids = {t.lead_department_id for t in tickets if t.lead_department_id}
        if dept_roles and dept_ids:
            query |= Q(role__in=sorted(dept_roles), department_id__in=sorted(dept_ids))
        if user_ids:
            query |= Q(pk__in=user_ids)
        users = list(User.objects.filter(query, is_active=True).annotate(unit_path=F("org_unit__path")).order_by("id"))
        return cls(users)

    def of(self, target: EscalationTarget, ticket: Ticket) -> list[User]:
        if target == EscalationTarget.ASSIGNEE:
            if active(ticket.lead_assignee):
                return [ticket.lead_assignee]
            handlers = self.by_dept_role.get((ticket.lead_department_id, Role.HANDLER), [])
            return handlers or ([ticket.owner] if active(ticket.owner) else [])
        if target == EscalationTarget.DEPT_HEAD:
            heads = self.by_dept_role.get((ticket.lead_department_id, Role.DEPT_HEAD), [])
            return heads or self._nearest(Role.SUPERVISOR, ticket)
        role = self.UNIT_ROLES.get(target, Role.SUPERVISOR)
        found = self._nearest(role, ticket)
        if not found and role != Role.SUPERVISOR:
            found = self._nearest(Role.SUPERVISOR, ticket)
        if not found:
            log.warning("ticket %s: nobody to tell (%s) in its org unit or above", ticket.pk, target)
        return found

    def user(self, pk: int | None) -> User | None:
        """A person named in `load(user_ids=...)`, if still active."""
        found = self.by_id.get(pk) if pk else None
        return found if active(found) else None

    def department(self, ticket: Ticket) -> list[User]:
        """Who answers for a ticket in the department holding it: the named assignee, else
        the department's heads, else its handlers (load with ASSIGNEE and DEPT_HEAD)."""
        if active(ticket.lead_assignee):
            return [ticket.lead_assignee]
        heads = self.by_dept_role.get((ticket.lead_department_id, Role.DEPT_HEAD), [])
        return heads or self.by_dept_role.get((ticket.lead_department_id, Role.HANDLER), [])

    def leaders(self, ticket: Ticket) -> list[User]:
        """The leaders nearest up the tree (load with LEADER), who approve plans."""
        return self._nearest(Role.LEADER, ticket)

    def upward(self, ticket: Ticket) -> list[User]:
        """The supervisors and leaders nearest up the tree (load with SUPERVISOR and LEADER)."""
        return self._nearest(Role.SUPERVISOR, ticket) + self._nearest(Role.LEADER, ticket)

    def _nearest(self, role: str, ticket: Ticket) -> list[User]:
        for path in reversed(ancestor_paths(ticket.org_unit.path)):
            found = self.by_unit_role.get((path, role))
            if found:
                return found
        return []


def active(user: User | None) -> bool:
    return user is not None and user.is_active


def ancestor_paths(path: str) -> list[str]:
    """The materialised paths of the unit and its ancestors, root first."""
    step = OrgUnit.steplen
    return [path[:i] for i in range(step, len(path) + 1, step)]
