"""Repeat (重复投诉) and over-the-head (越级投诉) complaints, recognised at registration.

A new ticket repeats an earlier one when it is the same customer (the one the normalised phone
number found) about the same matter (both categories under the same ancestor at the rule's
level of the tree: a prefix of treebeard's materialised path) and the earlier ticket was
registered within the rule's window before it, open or closed. The new ticket is linked to the
first ticket of the chain (`repeat_of`; a chain is one first ticket and its repeats, never a
ladder), routed to the department that handled that one, and its owner (首问责任人) is told.

It is over the head when it comes from a higher tier (a regulator, 12345, the consumer
association, the media, leadership) and the customer had a direct ticket on the matter in the
window: also flagged, its severity raised by the rule, the supervisors in scope told, and an
entry opened in the complaint ledger.

Both run inside `ticket_register`'s transaction. The look-up is one query on the index
(customer, created_at); everything else happens only when something was found.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import BigIntegerField, Case, F, OuterRef, Subquery, When
from django.db.models.functions import Coalesce

from complaintdesk.accounts.models import User
from complaintdesk.accounts.roles import Role
from complaintdesk.notifications.services import staff_notify_many
from complaintdesk.org.models import OrgUnit
from complaintdesk.screening.services.rules import RepeatSpec
from complaintdesk.sla.models import LedgerEntry
from complaintdesk.sla.vocabulary import LedgerReason
from complaintdesk.tickets.models import Assignment, Ticket
from complaintdesk.tickets.vocabulary import AssignmentRole, Severity, SourceTier

# Enough to see the first ticket and whether a direct one is among them; a customer with more
# tickets on one matter in one window is rare, and the earliest come first.
LOOKUP_LIMIT = 20
SEVERITY_SCALE = (Severity.SIMPLE, Severity.GENERAL, Severity.COMPLEX, Severity.MAJOR)


@dataclass(frozen=True)
class RepeatFinding:
    first_id: int
    first_number: str
    first_owner_id: int
    routed_department_id: int | None
    over_the_head: bool


def matter_prefix(category_path: str, level: int, steplen: int) -> str:
    """The materialised path of the category's ancestor at `level` (the category itself when
    it is not that deep)."""
    return category_path[: steplen * max(1, level)]


def raised_severity(severity: str, rule: RepeatSpec) -> str:
    rank = SEVERITY_SCALE.index(Severity(severity)) if severity in SEVERITY_SCALE else 1
    rank += rule.over_the_head_raise
    if rule.over_the_head_min_severity in SEVERITY_SCALE:
        rank = max(rank, SEVERITY_SCALE.index(Severity(rule.over_the_head_min_severity)))
    return SEVERITY_SCALE[min(rank, len(SEVERITY_SCALE) - 1)].value


def _handled_by(ticket_ref: str, holder: str):
    """The department holding the ticket now, else the last one that led it (a closed ticket
    holds none any more)."""
    last_lead = Subquery(
        Assignment.objects.filter(ticket_id=OuterRef(ticket_ref), role=AssignmentRole.LEAD)
        .order_by("-id").values("department_id")[:1])
    return Coalesce(holder, last_lead, output_field=BigIntegerField())


def repeat_find(*, customer_id: int, category_path: str, steplen: int, source_tier: str,
                rule: RepeatSpec, at: dt.datetime) -> RepeatFinding | None:
    """The first ticket this one repeats, or None. One query: the customer's tickets of the
    window on the (customer, created_at) index, narrowed to the matter by the category's path
    prefix, with the first ticket of each one's chain joined in."""
    since = at - dt.timedelta(days=rule.window_days)
    prefix = matter_prefix(category_path, rule.category_level, steplen)
    rows = list(
        Ticket.objects.filter(customer_id=customer_id, created_at__gte=since, created_at__lte=at,
                              category__path__startswith=prefix)
        .annotate(root_id=Coalesce("repeat_of_id", "id", output_field=BigIntegerField()),
                  root_number=Coalesce("repeat_of__number", "number"),
                  root_owner_id=Coalesce("repeat_of__owner_id", "owner_id", output_field=BigIntegerField()),
                  root_department_id=Case(
                      When(repeat_of__isnull=True, then=_handled_by("pk", "lead_department_id")),
                      default=_handled_by("repeat_of_id", "repeat_of__lead_department_id"),
                      output_field=BigIntegerField()))
        .order_by("created_at", "id")
        .values("root_id", "root_number", "root_owner_id", "root_department_id", "source_tier")
        [:LOOKUP_LIMIT]
    )
    if not rows:
        return None
    first = rows[0]
    over = source_tier != SourceTier.DIRECT and any(r["source_tier"] == SourceTier.DIRECT for r in rows)
    return RepeatFinding(first_id=first["root_id"], first_number=first["root_number"] or "",
                         first_owner_id=first["root_owner_id"],
                         routed_department_id=first["root_department_id"], over_the_head=over)


def repeat_record(*, ticket: Ticket, finding: RepeatFinding, actor, at: dt.datetime) -> None:
    """What follows a found repeat, in the registering transaction: the first ticket counts
    it, its owner is told; over the head, the supervisors in scope too and the ledger opens
    an entry."""
    Ticket.objects.filter(pk=finding.first_id).update(repeat_count=F("repeat_count") + 1)
    context = {"ticket_number": ticket.number, "first_number": finding.first_number,
               "tier": ticket.source_tier}
    messages = []
    if finding.first_owner_id != actor.pk:
        owner = User.objects.filter(pk=finding.first_owner_id, is_active=True).first()
        if owner is not None:
            messages.append({"dedupe_key": f"repeat:{ticket.pk}:owner", "template": "repeat_registered",
                             "context": context, "recipient_user": owner})
    if finding.over_the_head:
        for user in supervisors_in_scope(org_unit_id=ticket.org_unit_id):
            messages.append({"dedupe_key": f"over_the_head:{ticket.pk}:{user.pk}",
                             "template": "over_the_head_registered", "context": context,
                             "recipient_user": user})
        LedgerEntry.objects.create(
            ticket=ticket, clock=None, reason=LedgerReason.OVER_THE_HEAD, opened_at=at, level=1,
            summary=ticket.title, department_id=finding.routed_department_id,
            org_unit_id=ticket.org_unit_id)
    if messages:
        # By the channels each person chose for case steps (in-app by default).
        staff_notify_many(messages)


def ancestor_paths(path: str) -> list[str]:
    step = OrgUnit.steplen
    return [path[:i] for i in range(step, len(path) + 1, step)]


def supervisors_in_scope(*, org_unit_id: int, roles=(Role.SUPERVISOR,)) -> list[User]:
    """The active staff of these roles in the ticket's org unit, or else in the nearest unit up
    the tree that has some (as the deadline scan finds them: sla/services/scan.py)."""
    unit = OrgUnit.objects.filter(pk=org_unit_id).values_list("path", flat=True).first()
    if unit is None:
        return []
    paths = ancestor_paths(unit)
    users = list(User.objects.filter(role__in=[str(r) for r in roles], org_unit__path__in=paths, is_active=True)
                 .annotate(unit_path=F("org_unit__path")).order_by("id"))
    found = []
    for role in roles:
        for path in reversed(paths):
            here = [u for u in users if u.role == role and u.unit_path == path]
            if here:
                found += here
                break
    return found
