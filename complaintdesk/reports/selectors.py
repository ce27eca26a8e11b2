"""The dashboard's figures: aggregates done in the database (GROUP BY), scoped to what the
viewer may see (`visible_tickets`), a fixed handful of queries whatever the number of tickets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.roles import DEPARTMENT_ROLES, Role
from complaintdesk.core.errors import Forbidden, ValidationFailed
from complaintdesk.org.models import Department, OrgUnit
from complaintdesk.sla.vocabulary import SlaStatus
from complaintdesk.stats.models import DailyCount
from complaintdesk.stats.selectors import rollup_as_of
from complaintdesk.tickets.models import Ticket, TicketEvent
from complaintdesk.tickets.selectors import visible_tickets
from complaintdesk.tickets.vocabulary import (
    OPEN_STATES,
    Channel,
    EventType,
    Kind,
    Satisfaction,
    State,
)

# Supervisors and leaders watch the whole of their org unit; a department head their department.
DASHBOARD_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER, Role.DEPT_HEAD, Role.ADMIN})
DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 366
EARLIEST_DAY = dt.date(1970, 1, 1)
LATEST_DAY = dt.date(2199, 12, 31)


def dashboard_allowed(viewer) -> bool:
    return bool(getattr(viewer, "is_authenticated", False)) and (
        viewer.role in DASHBOARD_ROLES or viewer.is_superuser)


@dataclass(frozen=True)
class DashboardFilters:
    org_unit: str = ""  # code; the unit and its whole subtree
    date_from: dt.date | None = None  # local (Asia/Shanghai) dates, both included
    date_to: dt.date | None = None


@dataclass
class Figure:
    value: str
    label: str
    count: int
    share: float | None = None  # of the total, 0..1, where a share means something
    url: str | None = None  # the worklist behind the figure, set by the view


@dataclass
class DepartmentRow:
    id: int | None  # None: no department holds it yet (at the centre)
    code: str
    label: str
    open: int = 0
    at_risk: int = 0
    overdue: int = 0


@dataclass
class Dashboard:
    today: dt.date
    date_from: dt.date
    date_to: dt.date
    org_unit: OrgUnit | None
    org_units: list[OrgUnit]  # the choices of the org-unit filter (within the viewer's scope)
    intake_today: int = 0
    intake_today_by_channel: list[Figure] = field(default_factory=list)
    intake_today_by_kind: list[Figure] = field(default_factory=list)
    open_total: int = 0
    at_risk_total: int = 0
    overdue_total: int = 0
    open_by_state: list[Figure] = field(default_factory=list)
    open_by_department: list[DepartmentRow] = field(default_factory=list)
    satisfaction: list[Figure] = field(default_factory=list)
    callbacks: int = 0
    callbacks_failed: int = 0  # tickets closed as "callback failed" in the period
    trend: list[Figure] = field(default_factory=list)  # one per day of the period, oldest first
    intake_in_period: int = 0
    computed_at: dt.datetime | None = None
    # A scoped viewer's intake figures (today's, the daily trend) come from the statistics
    # roll-up (stats/), refreshed every minute: as of this time. None: counted from the tickets.
    rollup_as_of: dt.datetime | None = None


def _local_tz():
    # The organisation's time zone (settings.TIME_ZONE, Asia/Shanghai), not the browser's.
    return timezone.get_default_timezone()


def local_today(now: dt.datetime | None = None) -> dt.date:
    return timezone.localtime(now or timezone.now(), _local_tz()).date()


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=_local_tz())


def _check_period(f: DashboardFilters, today: dt.date) -> tuple[dt.date, dt.date]:
    date_to = f.date_to or (today if f.date_from is None
                            else min(today, f.date_from + dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)))
    date_from = f.date_from or (date_to - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1))
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        if not EARLIEST_DAY <= value <= LATEST_DAY:
            raise ValidationFailed.on(name, _("Enter a date between 1970 and 2200."))
    if date_from > date_to:
        raise ValidationFailed.on("date_to", _("The end date must not be before the start date."))
    if (date_to - date_from).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationFailed.on("date_to", _("Choose a period of at most 366 days."))
    return date_from, date_to


def _scope(viewer) -> tuple[list[OrgUnit], bool]:
    """The org units the viewer may narrow the dashboard to (their unit's subtree; every unit
    for an administrator), and whether the viewer sees every ticket (an administrator, or a
    centre or management role whose subtree holds every unit): then the figures need no scope
    join at all. One query (the units are a small table: read whole, sorted out here)."""
    units = list(OrgUnit.objects.order_by("path"))
    if viewer.role == Role.ADMIN:
        return units, True
    mine = next((u for u in units if u.pk == viewer.org_unit_id), None)
    subtree = [u for u in units if mine is not None and u.path.startswith(mine.path)]
    # The rule of visible_tickets: department roles see what their department held, whatever
    # their unit; the others their unit's subtree (and what they registered, a part of it).
    everything = viewer.role not in DEPARTMENT_ROLES and mine is not None and len(subtree) == len(units)
    return (units if viewer.is_superuser else subtree), everything


def _labelled(enum, counts: dict[str, int], total: int | None = None) -> list[Figure]:
    """Every value of the enum in its declared order (zeros included: a table that keeps its
    rows is easier to compare day to day), then values the enum no longer has."""
    rows = []
    for member in enum:
        n = counts.get(member.value, 0)
        rows.append(Figure(member.value, str(member.label), n, (n / total) if total else None))
    for value, n in counts.items():
        if value not in {m.value for m in enum}:
            rows.append(Figure(value, value, n, (n / total) if total else None))
    return rows


def dashboard_get(*, viewer, filters: DashboardFilters | None = None,
                  now: dt.datetime | None = None) -> Dashboard:
    """The dashboard as `viewer` may see it, whatever the number of tickets in six queries (org
    units, departments, today's intake, the open tickets, callbacks, the daily intake), plus
    the viewer's own org unit when the scope is not everything."""
    if not dashboard_allowed(viewer):
        raise Forbidden(_("The dashboard is for supervisors, leaders and department heads."))
    f = filters or DashboardFilters()
    today = local_today(now)
    date_from, date_to = _check_period(f, today)

    units, everything = _scope(viewer)
    unit = None
    # Seeing every ticket, the figures are read without the scope's join (the usual case of a
    # provincial supervisor or leader); otherwise through visible_tickets.
    tickets = Ticket.objects.all() if everything else visible_tickets(viewer)
    if f.org_unit:
        unit = next((u for u in units if u.code == f.org_unit), None)
        if unit is None:
            raise ValidationFailed.on("org_unit", _("Choose an org unit from the list."))
        # A join on the path prefix, as visible_tickets does for the viewer's own scope.
        tickets = tickets.filter(org_unit__path__startswith=unit.path)

    board = Dashboard(today=today, date_from=date_from, date_to=date_to, org_unit=unit, org_units=units,
                      computed_at=now or timezone.now())
    # A scoped viewer: the intake figures from the roll-up, so that no figure joins every
    # ticket of the period to the scope (the province-wide view reads the tickets' own index).
    rollup = None
    if not (everything and unit is None):
        rollup = _rollup_scope(viewer, units, unit)
        board.rollup_as_of = rollup_as_of()

    # Today's intake, by channel and kind: one GROUP BY over today's rows (created_at index).
    start, end = _day_start(today), _day_start(today + dt.timedelta(days=1))
    by_channel: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    today_rows = (tickets.filter(created_at__gte=start, created_at__lt=end)
                  .order_by().values("channel", "kind").annotate(n=Count("id")))
    if rollup is not None:
        today_rows = (rollup.filter(day=today).order_by().values("channel", "kind")
                      .annotate(n=Sum("registered")))
    for row in today_rows:
        by_channel[row["channel"]] = by_channel.get(row["channel"], 0) + row["n"]
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + row["n"]
    board.intake_today = sum(by_channel.values())
    board.intake_today_by_channel = _labelled(Channel, by_channel, board.intake_today)
    board.intake_today_by_kind = _labelled(Kind, by_kind, board.intake_today)

    # Open tickets by state × holding department × deadline status: one GROUP BY.
    by_state: dict[str, int] = {}
    by_dept: dict[int | None, DepartmentRow] = {}
    for row in (tickets.filter(state__in=sorted(OPEN_STATES))
                .order_by().values("state", "lead_department_id", "sla_status").annotate(n=Count("id"))):
        n = row["n"]
        by_state[row["state"]] = by_state.get(row["state"], 0) + n
        dept = by_dept.setdefault(row["lead_department_id"], DepartmentRow(row["lead_department_id"], "", ""))
        dept.open += n
        if row["sla_status"] == SlaStatus.AT_RISK:
            dept.at_risk += n
        elif row["sla_status"] == SlaStatus.OVERDUE:
            dept.overdue += n
    board.open_total = sum(by_state.values())
    board.at_risk_total = sum(d.at_risk for d in by_dept.values())
    board.overdue_total = sum(d.overdue for d in by_dept.values())
    board.open_by_state = [c for c in _labelled(State, by_state, board.open_total) if c.value in OPEN_STATES]
    # Departments are few (tens): all of them in one query, rather than an IN list whose
    # emptiness would change the query count.
    departments = {d.pk: d for d in Department.objects.only("id", "code", "name", "name_en")}
    for dept_id, row in by_dept.items():
        if dept_id is None:
            row.label = str(_("Not dispatched (at the centre)"))
        elif dept_id in departments:
            row.code, row.label = departments[dept_id].code, departments[dept_id].display_name
        else:
            row.label = f"#{dept_id}"
    board.open_by_department = sorted(by_dept.values(), key=lambda r: (-r.open, r.id is None, r.label))

    # Callback outcomes over the period, from the event log (the ticket's own field is wiped
    # when a dissatisfied customer's case is reopened). Scoped through the visible tickets.
    p_start, p_end = _day_start(date_from), _day_start(date_to + dt.timedelta(days=1))
    by_outcome: dict[str, int] = {}
    # The same query counts the callbacks given up (issue 12 §3): the attempt events that
    # closed their ticket as "callback failed" (grouped by type, they never mix with the
    # satisfactions).
    called = Q(type=EventType.CALLED_BACK) | Q(type=EventType.CALLBACK_ATTEMPTED, to_state=State.CLOSED)
    if everything and unit is None:
        # Every ticket: the period's callback events alone (type, time index), no join.
        callbacks = (TicketEvent.objects.filter(called, created_at__gte=p_start, created_at__lt=p_end)
                     .annotate(outcome=KeyTextTransform("satisfaction", "payload"))
                     .order_by().values("type", "outcome").annotate(n=Count("id")))
    elif viewer.role not in DEPARTMENT_ROLES or unit is not None:
        # An org unit's subtree: the period's callback events (type, time index) whose ticket's
        # unit is in the list; no join on the units' paths.
        callbacks = (TicketEvent.objects.filter(called, created_at__gte=p_start, created_at__lt=p_end,
                                                ticket__org_unit_id__in=_unit_ids(viewer, units, unit))
                     .annotate(outcome=KeyTextTransform("satisfaction", "payload"))
                     .order_by().values("type", "outcome").annotate(n=Count("id")))
        if viewer.role in DEPARTMENT_ROLES:
            callbacks = callbacks.filter(ticket__in=tickets)
    else:
        # The visible tickets joined to their callback events (one join, the event filters in
        # the same filter() call): the planner starts from the events of the period (type, time
        # index). `event.ticket_id IN (visible tickets)` instead was planned as one index probe
        # per visible ticket (0.6 s at 10k).
        joined = (Q(events__type=EventType.CALLED_BACK)
                  | Q(events__type=EventType.CALLBACK_ATTEMPTED, events__to_state=State.CLOSED))
        callbacks = (tickets.filter(joined, events__created_at__gte=p_start, events__created_at__lt=p_end)
                     .annotate(outcome=KeyTextTransform("satisfaction", "events__payload"),
                               type=F("events__type"))
                     .order_by().values("type", "outcome").annotate(n=Count("events__id")))
    for row in callbacks:
        if row["type"] == EventType.CALLBACK_ATTEMPTED:
            board.callbacks_failed += row["n"]
            continue
        by_outcome[row["outcome"] or ""] = by_outcome.get(row["outcome"] or "", 0) + row["n"]
    by_outcome.pop("", None)
    board.callbacks = sum(by_outcome.values())
    board.satisfaction = _labelled(Satisfaction, by_outcome, board.callbacks)

    # Daily intake over the period, by local (Asia/Shanghai) date.
    if rollup is not None:
        per_day = {row["day"]: row["n"] for row in (rollup.filter(day__gte=date_from, day__lte=date_to)
                                                    .order_by().values("day").annotate(n=Sum("registered")))}
    else:
        per_day = {
            row["day"]: row["n"]
            for row in (tickets.filter(created_at__gte=p_start, created_at__lt=p_end)
                        .annotate(day=TruncDate("created_at", tzinfo=_local_tz()))
                        .order_by().values("day").annotate(n=Count("id")))
        }
    days = (date_to - date_from).days + 1
    board.trend = [
        Figure(d.isoformat(), d.isoformat(), per_day.get(d, 0))
        for d in (date_from + dt.timedelta(days=i) for i in range(days))
    ]
    board.intake_in_period = sum(c.count for c in board.trend)
    return board



def _unit_ids(viewer, units: list[OrgUnit], unit: OrgUnit | None) -> list[int]:
    """The ids of the chosen unit's subtree, else of the viewer's scope (the units read already)."""
    if unit is not None:
        return [u.pk for u in units if u.path.startswith(unit.path)]
    return [u.pk for u in units]


def _rollup_scope(viewer, units: list[OrgUnit], unit: OrgUnit | None):
    """The roll-up's rows a scoped viewer may see: a department role those of the tickets its
    department leads now (the roll-up's rule, stats/selectors.py), the others their units'."""
    rows = DailyCount.objects.all()
    if unit is not None:
        rows = rows.filter(org_unit_id__in=_unit_ids(viewer, units, unit))
    if viewer.role == Role.ADMIN or viewer.is_superuser:
        return rows
    if viewer.role in DEPARTMENT_ROLES:
        return rows.filter(lead_department_id=viewer.department_id) if viewer.department_id else rows.none()
    return rows if unit is not None else rows.filter(org_unit_id__in=[u.pk for u in units])


def cache_seconds() -> int:
    """How long a computed dashboard is reused (settings.REPORTS_DASHBOARD_CACHE_SECONDS, 60 by
    default; 0: never). Figures a minute old are good enough for watching the day, and a
    supervisor refreshing the page, or ten of them, then costs the database nothing."""
    return int(getattr(settings, "REPORTS_DASHBOARD_CACHE_SECONDS", 60))


def dashboard_get_cached(*, viewer, filters: DashboardFilters | None = None) -> Dashboard:
    """`dashboard_get`, reused for `cache_seconds()` per viewer, scope, filters, day and
    language (the labels are translated): the page says when its figures were computed."""
    seconds = cache_seconds()
    if seconds <= 0:
        return dashboard_get(viewer=viewer, filters=filters)
    f = filters or DashboardFilters()
    key = ":".join(str(x) for x in (
        "reports:dashboard:v1", viewer.pk, viewer.role, viewer.org_unit_id, viewer.department_id,
        f.org_unit, f.date_from, f.date_to, local_today(), get_language()))
    board = cache.get(key)
    if board is None:
        board = dashboard_get(viewer=viewer, filters=filters)
        cache.set(key, board, seconds)
    return board
