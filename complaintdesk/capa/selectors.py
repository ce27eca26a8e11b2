"""Every read of root causes and corrective actions, scoped to the viewer.

- `visible_actions(viewer)`: the rule of capa/workflow.py `may_view` as a queryset.
- `action_list`: the CAPA worklist, one query whatever its length (keyset on deadline, id).
- `action_page`: one action with its tickets, categories and events: four queries.
- `ticket_capa`: what the ticket page shows (root cause, accountability only for the roles
  that may read it, the actions linked to the ticket).
- `capa_figures(*, viewer, start, end)`: the figures of the monthly report and the worklist:
  three queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.roles import DEPARTMENT_ROLES, Role
from complaintdesk.capa import workflow
from complaintdesk.capa.facts import facts_of
from complaintdesk.capa.models import ActionEvent, CorrectiveAction, RootCause, TicketRootCause
from complaintdesk.capa.vocabulary import ACTION_OPEN_STATES, ActionEventType, ActionState, Step
from complaintdesk.core.errors import NotFound, ValidationFailed
from complaintdesk.core.i18n import pick
from complaintdesk.taxonomy.models import Category
from complaintdesk.tickets.facts import actor_facts, ticket_facts
from complaintdesk.tickets.models import Assignment
from complaintdesk.tickets.selectors import visible_tickets

LIST_LIMIT = 50
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def visible_actions(viewer) -> QuerySet:
    actions = CorrectiveAction.objects.all()
    if viewer.role == Role.ADMIN:
        return actions
    own = Q(owner_id=viewer.pk) | Q(raised_by_id=viewer.pk)
    if viewer.role in DEPARTMENT_ROLES:
        if not viewer.department_id:
            return actions.filter(own)
        return actions.filter(own | Q(owner_department_id=viewer.department_id))
    if not viewer.org_unit_id:
        return actions.filter(own)
    return actions.filter(own | Q(org_unit__path__startswith=viewer.org_unit.path))


@dataclass
class ActionFilters:
    state: str = "open"  # open | closed | all | one ActionState value
    overdue: bool = False
    mine: bool = False  # owned by the viewer
    category: str = ""  # code; the action is linked to this category or one below it
    after: str = ""  # keyset cursor "<deadline, µs since the epoch>.<id>"
    limit: int = LIST_LIMIT


STATE_FILTERS = ("open", "closed", "all", *(s.value for s in ActionState))


def _cursor(value: str):
    try:
        when, pk = value.split(".", 1)
        return _EPOCH + dt.timedelta(microseconds=int(when)), int(pk)
    except (ValueError, TypeError, OverflowError, OSError):
        raise ValidationFailed.on("after", _("Not a cursor of this list.")) from None


def action_list(*, viewer, filters: ActionFilters, now: dt.datetime | None = None) -> tuple[list, str]:
    """(rows, cursor of the next page or ""): actions by deadline, with their owner, the
    owner's department, org unit and the number of linked tickets; one query."""
    now = now or timezone.now()
    if filters.state not in STATE_FILTERS:
        raise ValidationFailed.on("state", _("Choose open, closed, all or a state of an action."))
    if not 1 <= filters.limit <= 200:
        raise ValidationFailed.on("limit", _("Between 1 and 200."))
    qs = visible_actions(viewer)
    if filters.state == "open":
        qs = qs.filter(state__in=sorted(ACTION_OPEN_STATES))
    elif filters.state == "closed":
        qs = qs.filter(state__in=[ActionState.CLOSED, ActionState.CANCELLED])
    elif filters.state != "all":
        qs = qs.filter(state=filters.state)
    if filters.overdue:
        qs = qs.filter(state__in=sorted(ACTION_OPEN_STATES), due_at__lt=now)
    if filters.mine:
        qs = qs.filter(owner_id=viewer.pk)
    if filters.category:
        linked = CorrectiveAction.categories.through.objects.filter(
            category__path__startswith=_category_path(filters.category))
        qs = qs.filter(id__in=linked.values("correctiveaction_id"))
    if filters.after:
        when, pk = _cursor(filters.after)
        qs = qs.filter(Q(due_at__gt=when) | Q(due_at=when, id__gt=pk))
    # The count as a correlated subquery, not a GROUP BY: the database then reads the rows in
    # deadline order (index capa_due_order) and stops at the page, whatever the backlog.
    links = (CorrectiveAction.tickets.through.objects.filter(correctiveaction_id=OuterRef("pk"))
             .order_by().values("correctiveaction_id").annotate(n=Count("*")).values("n"))
    rows = list(
        qs.select_related("owner", "owner_department", "org_unit")
        .annotate(ticket_count=Coalesce(Subquery(links), 0))
        .order_by("due_at", "id")[: filters.limit + 1]
    )
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    for a in rows:
        a.overdue = a.state in ACTION_OPEN_STATES and a.due_at < now
    last = rows[-1] if more and rows else None
    # Whole microseconds: a float timestamp could round past the row it points at.
    cursor = f"{(last.due_at - _EPOCH) // dt.timedelta(microseconds=1)}.{last.pk}" if last else ""
    return rows, cursor


def _category_path(code: str) -> str:
    path = Category.objects.filter(code=code).values_list("path", flat=True).first()
    if path is None:
        raise ValidationFailed.on("category", _("No category has this code."))
    return path


@dataclass
class ActionPage:
    action: CorrectiveAction
    tickets: list
    categories: list
    events: list
    allowed_steps: list[Step]
    overdue: bool
    may_link: bool


def action_page(*, viewer, action_id: int, now: dt.datetime | None = None) -> ActionPage:
    now = now or timezone.now()
    action = (visible_actions(viewer).select_related("owner", "owner_department", "org_unit", "raised_by",
                                                      "verified_by")
              .filter(pk=action_id).first())
    if action is None:
        raise NotFound(_("No such corrective action."))
    # Linked tickets the viewer may not see are counted, not shown.
    tickets = list(visible_tickets(viewer).filter(pk__in=action.tickets.through.objects.filter(
        correctiveaction_id=action.pk).values("ticket_id")).only("id", "number", "title", "state").order_by("id"))
    categories = list(action.categories.all().order_by("path"))
    events = list(action.events.select_related("actor").order_by("id"))
    who, facts = actor_facts(viewer), facts_of(action)
    return ActionPage(action=action, tickets=tickets, categories=categories, events=events,
                      allowed_steps=workflow.allowed_steps(who, facts),
                      overdue=action.state in ACTION_OPEN_STATES and action.due_at < now,
                      may_link=workflow.is_open(facts.state) and (
                          workflow.is_owner(who, facts) or workflow.is_verifier(who, facts)
                          or viewer.pk == action.raised_by_id))


# -- on the ticket page ------------------------------------------------------------------------

@dataclass
class TicketCapa:
    ticket: object
    record: TicketRootCause | None
    sees_accountability: bool
    accountability: str  # "" when the viewer may not read it
    may_record: bool
    may_raise: bool
    actions: list = field(default_factory=list)


def ticket_capa(*, viewer, ticket_id: int) -> TicketCapa:
    ticket = (visible_tickets(viewer).select_related("org_unit", "category", "responsible_department")
              .filter(pk=ticket_id).first())
    if ticket is None:
        raise NotFound(_("No such ticket."))
    record = TicketRootCause.objects.select_related("root_cause", "recorded_by").filter(ticket=ticket).first()
    who = actor_facts(viewer)
    facts = ticket_facts(ticket, list(Assignment.objects.filter(ticket=ticket)))
    sees = workflow.sees_accountability(who.role)
    actions = list(visible_actions(viewer).filter(tickets=ticket).select_related("owner").order_by("id"))
    return TicketCapa(
        ticket=ticket, record=record, sees_accountability=sees,
        accountability=(record.accountability if record is not None and sees else ""),
        may_record=workflow.may_record_root_cause(who, facts), may_raise=workflow.may_raise(who.role),
        actions=actions,
    )


def root_cause_choices() -> list[tuple[str, str]]:
    """(code, indented name) of the active nodes, in tree order."""
    nodes = RootCause.objects.filter(active=True).order_by("path")
    return [(n.code, "\u3000" * (n.depth - 1) + n.display_name) for n in nodes]


# -- figures -----------------------------------------------------------------------------------

FORMULAS = {
    "on_time_rate": _("closed on time ÷ closed (on time: the work that proved effective was submitted by the deadline)"),
    "effective_rate": _("verified effective ÷ verifications (effective and not effective)"),
    "overdue": _("open at the end of the period and past the deadline"),
}


@dataclass(frozen=True)
class FigureRow:
    raised: int = 0
    open: int = 0
    overdue: int = 0
    closed: int = 0
    closed_on_time: int = 0
    verified_effective: int = 0
    cancelled: int = 0


@dataclass(frozen=True)
class CapaFigures:
    start: dt.datetime
    end: dt.datetime
    totals: FigureRow
    verified_ineffective: int
    by_department: list  # (department name or "", FigureRow), most open first

    @property
    def on_time_rate(self) -> float | None:
        return self.totals.closed_on_time / self.totals.closed if self.totals.closed else None

    @property
    def effective_rate(self) -> float | None:
        verdicts = self.totals.verified_effective + self.verified_ineffective
        return self.totals.verified_effective / verdicts if verdicts else None

    formulas = FORMULAS


def _counts(start, end) -> dict:
    in_period = lambda name: Q(**{f"{name}__gte": start, f"{name}__lt": end})  # noqa: E731
    open_at_end = (Q(raised_at__lt=end) & (Q(closed_at__isnull=True) | Q(closed_at__gte=end))
                   & (Q(cancelled_at__isnull=True) | Q(cancelled_at__gte=end)))
    return {
        "raised": Count("id", filter=in_period("raised_at")),
        "open": Count("id", filter=open_at_end),
        "overdue": Count("id", filter=open_at_end & Q(due_at__lt=end)),
        "closed": Count("id", filter=in_period("closed_at")),
        "closed_on_time": Count("id", filter=in_period("closed_at") & Q(closed_on_time=True)),
        "verified_effective": Count("id", filter=in_period("verified_at") & Q(effective=True)),
        "cancelled": Count("id", filter=in_period("cancelled_at")),
    }


def capa_figures(*, viewer, start: dt.datetime, end: dt.datetime) -> CapaFigures:
    """The corrective-action figures of the period [start, end) over the actions the viewer
    may see: raised, closed, closed on time, verified effective and cancelled in the period;
    open and overdue at its end (an action open at `end` and past its deadline then). Start
    and end are aware datetimes (a report month: the 26th 00:00 to the next 26th 00:00).
    Three queries."""
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValueError("capa_figures needs aware datetimes")
    # Only the rows that can count: raised before the end and not finished before the start.
    actions = visible_actions(viewer).filter(
        Q(raised_at__lt=end)
        & (Q(closed_at__isnull=True, cancelled_at__isnull=True) | Q(closed_at__gte=start)
           | Q(cancelled_at__gte=start) | Q(verified_at__gte=start)))
    counts = _counts(start, end)
    totals = FigureRow(**actions.aggregate(**counts))
    ineffective = ActionEvent.objects.filter(
        action__in=actions.values("id"), type=ActionEventType.VERIFIED_INEFFECTIVE,
        created_at__gte=start, created_at__lt=end).count()
    rows = (actions.values("owner_department__name", "owner_department__name_en")
            .annotate(**counts).order_by("-open", "owner_department__name"))
    by_department = [
        (pick(r["owner_department__name"] or "", r["owner_department__name_en"] or ""),
         FigureRow(**{k: r[k] for k in counts}))
        for r in rows if any(r[k] for k in counts)
    ]
    return CapaFigures(start=start, end=end, totals=totals, verified_ineffective=ineffective,
                       by_department=by_department)
