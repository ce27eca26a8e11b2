"""Reads of the roll-up (`DailyCount`), scoped to the viewer: the statistics table (any two
dimensions, totals, shares, period-on-period and year-on-year), the sums the KPIs and the
reports need, and the KPI board. A fixed handful of queries whatever the number of tickets;
the ticket table is never read.

Scope (the rule of `tickets.selectors.visible_tickets`, as the roll-up can hold it): an
administrator sees everything; the centre and management their org unit's subtree; a
department role the tickets its department leads now (the roll-up does not keep every
department that ever held a ticket, so a department sees a subset of its worklist "all")."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.roles import DEPARTMENT_ROLES, Role
from complaintdesk.core.errors import Forbidden, ValidationFailed
from complaintdesk.org.models import Department, OrgUnit
from complaintdesk.stats import kpis
from complaintdesk.stats.models import ControlThreshold, CustomerBase, DailyCount, RollupState
from complaintdesk.stats.vocabulary import MEASURES, BaseKind, Dimension, Period, ThresholdDirection
from complaintdesk.taxonomy.models import Category
from complaintdesk.tickets.vocabulary import (
    Cause,
    Channel,
    Kind,
    Satisfaction,
    Severity,
    SourceTier,
    State,
)

STATS_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER, Role.DEPT_HEAD, Role.ADMIN})
MAX_DAYS = 3 * 366 + 1
EARLIEST = dt.date(1970, 1, 1)
LATEST = dt.date(2199, 12, 31)
STEP = 4  # treebeard's path step: a node at depth d has a path of 4·d characters

# Dimension → the roll-up column it is grouped by.
COLUMN = {
    Dimension.KIND: "kind", Dimension.CATEGORY: "category_id", Dimension.CAUSE: "cause",
    Dimension.RESPONSIBLE_DEPARTMENT: "responsible_department_id",
    Dimension.LEAD_DEPARTMENT: "lead_department_id", Dimension.ORG_UNIT: "org_unit_id",
    Dimension.CHANNEL: "channel", Dimension.SOURCE_TIER: "source_tier", Dimension.SEVERITY: "severity",
    Dimension.STATE: "state", Dimension.SATISFACTION: "satisfaction", Dimension.PERIOD: "day",
}
ENUMS = {Dimension.KIND: Kind, Dimension.CAUSE: Cause, Dimension.CHANNEL: Channel,
         Dimension.SOURCE_TIER: SourceTier, Dimension.SEVERITY: Severity, Dimension.STATE: State,
         Dimension.SATISFACTION: Satisfaction}


def stats_allowed(viewer) -> bool:
    return bool(getattr(viewer, "is_authenticated", False)) and (
        viewer.role in STATS_ROLES or viewer.is_superuser)


# -- periods -----------------------------------------------------------------------------------

def report_month_of(day: dt.date) -> dt.date:
    """The report month (003: the 26th of the previous month to the 25th) a day falls in, named
    by the first day of the calendar month it ends in: 2026-01-26 … 2026-02-25 → 2026-02-01."""
    if day.day >= 26:
        return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return day.replace(day=1)


def report_month_range(month: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the report month named `month` (any day of it)."""
    first_of = month.replace(day=1)
    prev = (first_of - dt.timedelta(days=1)).replace(day=26)
    return prev, first_of.replace(day=25)


def bucket_of(day: dt.date, period: Period | str) -> str:
    """The key of the period a day falls in: 2026-03-07, 2026-W10, 2026-03, 2026-03R."""
    period = Period(period)
    if period == Period.DAY:
        return day.isoformat()
    if period == Period.WEEK:
        y, w, _d = day.isocalendar()
        return f"{y}-W{w:02d}"
    if period == Period.MONTH:
        return f"{day:%Y-%m}"
    return f"{report_month_of(day):%Y-%m}R"


def bucket_year_back(key: str, period: Period | str) -> str:
    """The same period a year earlier (year-on-year)."""
    period = Period(period)
    year, rest = int(key[:4]), key[4:]
    if period == Period.DAY:
        d = dt.date.fromisoformat(key)
        return (d.replace(year=d.year - 1) if not (d.month == 2 and d.day == 29)
                else d.replace(year=d.year - 1, day=28)).isoformat()
    return f"{year - 1}{rest}"


def bucket_label(key: str, period: Period | str) -> str:
    period = Period(period)
    if period == Period.REPORT_MONTH:
        first, last = report_month_range(dt.date.fromisoformat(key[:7] + "-01"))
        return f"{key[:7]} ({first.isoformat()} – {last.isoformat()})"  # no words: the same in every language
    return key


def bucket_days(key: str, period: Period | str) -> tuple[dt.date, dt.date]:
    """The first and last day of a period key (for the drill-down's dates)."""
    period = Period(period)
    if period == Period.DAY:
        d = dt.date.fromisoformat(key)
        return d, d
    if period == Period.WEEK:
        monday = dt.date.fromisocalendar(int(key[:4]), int(key[6:8]), 1)
        return monday, monday + dt.timedelta(days=6)
    if period == Period.MONTH:
        first = dt.date.fromisoformat(key + "-01")
        return first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return report_month_range(dt.date.fromisoformat(key[:7] + "-01"))


def shift_year(day: dt.date, years: int = -1) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# -- scope -------------------------------------------------------------------------------------

@dataclass
class Scope:
    condition: Q | None  # None: every row
    units: list[OrgUnit]  # the org units the viewer may narrow to (sorted by path)
    unit: OrgUnit | None = None  # the chosen one, if any
    all_units: dict[int, OrgUnit] = field(default_factory=dict)


def stats_scope(viewer, org_unit: str = "") -> Scope:
    """What of the roll-up the viewer may see, narrowed to `org_unit` (code; its subtree). One
    query (the org units, a small table)."""
    if not stats_allowed(viewer):
        raise Forbidden(_("Statistics are for supervisors, leaders and department heads."))
    units = list(OrgUnit.objects.order_by("path"))
    by_id = {u.pk: u for u in units}
    cond: Q | None
    if viewer.role == Role.ADMIN or viewer.is_superuser:
        visible, cond = units, None
    elif viewer.role in DEPARTMENT_ROLES:
        visible = units
        cond = Q(lead_department_id=viewer.department_id) if viewer.department_id else Q(pk__in=[])
    else:
        mine = by_id.get(viewer.org_unit_id)
        visible = [u for u in units if mine is not None and u.path.startswith(mine.path)]
        cond = Q(org_unit_id__in=[u.pk for u in visible]) if len(visible) < len(units) else None
    unit = None
    if org_unit:
        unit = next((u for u in visible if u.code == org_unit), None)
        if unit is None:
            raise ValidationFailed.on("org_unit", _("Choose an org unit from the list."))
        sub = Q(org_unit_id__in=[u.pk for u in units if u.path.startswith(unit.path)])
        cond = sub if cond is None else cond & sub
    return Scope(cond, visible, unit, by_id)


def check_period(date_from: dt.date | None, date_to: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    date_to = date_to or today
    date_from = date_from or date_to.replace(day=1)
    for name, value in (("from", date_from), ("to", date_to)):
        if not EARLIEST <= value <= LATEST:
            raise ValidationFailed.on(name, _("Enter a date between 1970 and 2200."))
    if date_from > date_to:
        raise ValidationFailed.on("to", _("The end date must not be before the start date."))
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise ValidationFailed.on("to", _("Choose a period of at most three years."))
    return date_from, date_to


# -- sums --------------------------------------------------------------------------------------

def _rows(scope: Scope, date_from: dt.date, date_to: dt.date):
    rows = DailyCount.objects.filter(day__gte=date_from, day__lte=date_to)
    return rows if scope.condition is None else rows.filter(scope.condition)


def rollup_sums(*, viewer, date_from: dt.date, date_to: dt.date, org_unit: str = "",
                group_by: Sequence[str] = (), measures: Iterable[str] = MEASURES,
                where: Q | None = None) -> list[dict]:
    """The roll-up summed over [date_from, date_to] (local registration days, both included)
    in the viewer's scope, grouped by roll-up columns (`day`, `kind`, `category_id`, `cause`,
    `responsible_department_id`, `lead_department_id`, `org_unit_id`, `channel`,
    `source_tier`, `severity`, `state`, `satisfaction`): one dict per group with those keys and
    one key per measure (vocabulary.MEASURES). Two queries (org units, the sums)."""
    scope = stats_scope(viewer, org_unit)
    return _sums(scope, date_from, date_to, group_by, measures, where)


def _sums(scope: Scope, date_from, date_to, group_by: Sequence[str], measures: Iterable[str],
          where: Q | None = None) -> list[dict]:
    measures = list(measures)
    bad = [m for m in measures if m not in MEASURES]
    if bad:
        raise ValidationFailed.on("measure", _("Unknown measure: %(name)s.") % {"name": bad[0]})
    qs = _rows(scope, date_from, date_to)
    if where is not None:
        qs = qs.filter(where)
    qs = qs.order_by().values(*group_by) if group_by else qs.order_by()
    if group_by:
        out = list(qs.annotate(**{m: Sum(m) for m in measures}))
    else:
        out = [qs.aggregate(**{m: Sum(m) for m in measures})]
    for row in out:
        for m in measures:
            row[m] = int(row[m] or 0)
    return out


def rollup_totals(*, viewer, date_from: dt.date, date_to: dt.date, org_unit: str = "") -> dict[str, int]:
    """Every measure summed over the period in the viewer's scope (one dict)."""
    return rollup_sums(viewer=viewer, date_from=date_from, date_to=date_to, org_unit=org_unit)[0]


def rollup_as_of() -> dt.datetime | None:
    """When the roll-up was last brought up to date (None: never built)."""
    return RollupState.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()


# -- the statistics table ----------------------------------------------------------------------

@dataclass(frozen=True)
class StatsQuery:
    rows: str = Dimension.CATEGORY.value
    cols: str = ""  # "" → one column (the totals)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    period: str = Period.MONTH.value  # the buckets of the `period` dimension
    category_level: int = 1  # 1 = the top of the tree
    org_unit_level: int = 0  # 0 = one level below the viewer's (or the chosen) unit
    org_unit: str = ""  # code: narrow to this unit's subtree
    measure: str = "registered"


@dataclass
class Header:
    key: str
    label: str
    filters: dict[str, str] = field(default_factory=dict)  # the worklist's filters for this value


@dataclass
class StatsRow:
    header: Header
    cells: list[int]
    total: int
    share: float | None  # of the grand total
    previous: int | None = None  # the previous period of the same length (or the row above, for period rows)
    year_ago: int | None = None  # the same period a year earlier

    @property
    def change(self) -> float | None:
        return _change(self.total, self.previous)

    @property
    def change_year(self) -> float | None:
        return _change(self.total, self.year_ago)


def _change(now: int, then: int | None) -> float | None:
    if then is None or then == 0:
        return None
    return (now - then) / then


@dataclass
class StatsTable:
    query: StatsQuery
    date_from: dt.date
    date_to: dt.date
    measure: str
    rows: list[StatsRow]
    cols: list[Header]
    col_totals: list[int]
    total: int
    previous_total: int
    year_ago_total: int
    previous_from: dt.date
    previous_to: dt.date
    as_of: dt.datetime | None
    org_unit: OrgUnit | None
    org_units: list[OrgUnit]
    calendar_missing: int = 0  # closed tickets whose handling time could not be counted

    @property
    def change(self) -> float | None:
        return _change(self.total, self.previous_total)

    @property
    def change_year(self) -> float | None:
        return _change(self.total, self.year_ago_total)


def _dimension(name: str, field_name: str) -> Dimension:
    try:
        return Dimension(name)
    except ValueError:
        raise ValidationFailed.on(field_name, _("“%(value)s” is not a dimension; choose from: %(values)s.") % {
            "value": name[:40], "values": ", ".join(d.value for d in Dimension)}) from None


class _Labeller:
    """Turns a roll-up value of a dimension into the key, label and worklist filters of its
    header (category and org unit at the chosen level). The small tables are read once."""

    def __init__(self, q: StatsQuery, scope: Scope, dims: set[Dimension]):
        self.q, self.scope = q, scope
        self.period = Period(q.period)
        self.categories: dict[int, Category] = {}
        self.cat_by_path: dict[str, Category] = {}
        self.departments: dict[int, Department] = {}
        if Dimension.CATEGORY in dims:
            cats = list(Category.objects.only("id", "code", "name", "name_en", "path", "depth"))
            self.categories = {c.pk: c for c in cats}
            self.cat_by_path = {c.path: c for c in cats}
        if dims & {Dimension.LEAD_DEPARTMENT, Dimension.RESPONSIBLE_DEPARTMENT}:
            self.departments = {d.pk: d for d in Department.objects.only("id", "code", "name", "name_en")}
        top = scope.unit.depth if scope.unit else min((u.depth for u in scope.units), default=0)
        self.unit_depth = q.org_unit_level or (top + 1)
        self.unit_by_path = {u.path: u for u in scope.all_units.values()}

    def key(self, dim: Dimension, value) -> str:
        if dim == Dimension.PERIOD:
            return bucket_of(value, self.period)
        if dim == Dimension.CATEGORY:
            c = self.categories.get(value)
            if c is None:
                return "" if value is None else f"#{value}"
            return c.path[:STEP * self.q.category_level]
        if dim == Dimension.ORG_UNIT:
            u = self.scope.all_units.get(value)
            if u is None:
                return "" if value is None else f"#{value}"
            return u.path[:STEP * self.unit_depth]
        return "" if value is None else str(value)

    def header(self, dim: Dimension, key: str) -> Header:
        if dim == Dimension.PERIOD:
            first, last = bucket_days(key, self.period)
            return Header(key, bucket_label(key, self.period), {"date_from": first.isoformat(),
                                                                "date_to": last.isoformat()})
        if dim == Dimension.CATEGORY:
            c = self.cat_by_path.get(key)
            return Header(key, c.display_name if c else (key or str(_("None"))),
                          {"category": c.code} if c else {})
        if dim == Dimension.ORG_UNIT:
            u = self.unit_by_path.get(key)
            if u is not None and u.depth < self.unit_depth:
                # A unit above the chosen level holds tickets of its own: a row of its own, not
                # linked (the worklist's org-unit filter takes the whole subtree).
                return Header(key, str(_("%(unit)s (its own tickets)") % {"unit": u.display_name}), {})
            return Header(key, u.display_name if u else (key or str(_("None"))), {"org_unit": u.code} if u else {})
        if dim in (Dimension.LEAD_DEPARTMENT, Dimension.RESPONSIBLE_DEPARTMENT):
            param = "lead_department" if dim == Dimension.LEAD_DEPARTMENT else "responsible_department"
            if not key:
                label = (_("Not dispatched (at the centre)") if dim == Dimension.LEAD_DEPARTMENT
                         else _("Not recorded"))
                return Header("", str(label), {param: "-"})
            d = self.departments.get(int(key))
            return Header(key, d.display_name if d else f"#{key}", {param: d.code} if d else {})
        enum = ENUMS[dim]
        if not key:
            return Header("", str(_("Not recorded")), {dim.value: "-"})
        try:
            label = str(enum(key).label)
        except ValueError:
            label = key
        return Header(key, label, {dim.value: key})

    def order(self, dim: Dimension, keys: Iterable[str]) -> list[str]:
        keys = set(keys)
        if dim in ENUMS:
            declared = [m.value for m in ENUMS[dim]]
            return [k for k in declared if k in keys] + sorted(k for k in keys if k not in declared)
        return sorted(keys)


def stats_table(*, viewer, query: StatsQuery, today: dt.date | None = None) -> StatsTable:
    """Counts of `query.measure` by `query.rows` × `query.cols` over the period, in the viewer's
    scope, with row and column totals, each row's share of the total, the previous period of
    the same length and the same period a year earlier. At most seven queries whatever the
    number of tickets (org units, categories, departments, the cells, the previous period, a
    year earlier, the as-of time)."""
    rows_dim = _dimension(query.rows, "rows")
    cols_dim = _dimension(query.cols, "cols") if query.cols else None
    if cols_dim == rows_dim:
        raise ValidationFailed.on("cols", _("Choose two different dimensions."))
    try:
        period = Period(query.period)
    except ValueError:
        raise ValidationFailed.on("period", _("Choose day, week, month or report_month.")) from None
    if query.measure not in MEASURES:
        raise ValidationFailed.on("measure", _("Unknown measure: %(name)s.") % {"name": query.measure[:40]})
    if not 1 <= query.category_level <= 6:
        raise ValidationFailed.on("category_level", _("Choose a level from 1 to 6."))
    if not 0 <= query.org_unit_level <= 6:
        raise ValidationFailed.on("org_unit_level", _("Choose a level from 1 to 6 (0: one below the unit)."))
    today = today or timezone.localdate()
    date_from, date_to = check_period(query.date_from, query.date_to, today)
    if rows_dim == Dimension.PERIOD or cols_dim == Dimension.PERIOD:
        # Whole periods only: a month cut in half would compare badly with the one before.
        date_from = bucket_days(bucket_of(date_from, period), period)[0]
        date_to = bucket_days(bucket_of(date_to, period), period)[1]
    scope = stats_scope(viewer, query.org_unit)
    dims = {rows_dim} | ({cols_dim} if cols_dim else set())
    lab = _Labeller(query, scope, dims)
    measure = query.measure

    group = [COLUMN[rows_dim]] + ([COLUMN[cols_dim]] if cols_dim else [])
    cells: dict[tuple[str, str], int] = defaultdict(int)
    missing = 0
    for r in _sums(scope, date_from, date_to, group, [measure, "calendar_missing"]):
        rk = lab.key(rows_dim, r[COLUMN[rows_dim]])
        ck = lab.key(cols_dim, r[COLUMN[cols_dim]]) if cols_dim else ""
        cells[(rk, ck)] += r[measure]
        missing += r["calendar_missing"]

    length = (date_to - date_from).days + 1
    prev_to = date_from - dt.timedelta(days=1)
    prev_from = date_from - dt.timedelta(days=length)
    if rows_dim == Dimension.PERIOD:
        prev_from = bucket_days(bucket_of(prev_to, period), period)[0]
    previous: dict[str, int] = defaultdict(int)
    year_ago: dict[str, int] = defaultdict(int)
    row_col = COLUMN[rows_dim]
    for r in _sums(scope, prev_from, prev_to, [row_col], [measure]):
        previous[lab.key(rows_dim, r[row_col])] += r[measure]
    for r in _sums(scope, shift_year(date_from), shift_year(date_to), [row_col], [measure]):
        k = lab.key(rows_dim, r[row_col])
        if rows_dim == Dimension.PERIOD:
            k = f"{int(k[:4]) + 1}{k[4:]}" if period != Period.DAY else shift_year(
                dt.date.fromisoformat(k), 1).isoformat()
        year_ago[k] += r[measure]

    row_keys = lab.order(rows_dim, {rk for rk, _c in cells})
    if rows_dim == Dimension.PERIOD:  # every period of the range, empty ones included
        keys, d = [], date_from
        while d <= date_to:
            k = bucket_of(d, period)
            if not keys or keys[-1] != k:
                keys.append(k)
            d += dt.timedelta(days=1)
        row_keys = keys
    col_keys = lab.order(cols_dim, {ck for _r, ck in cells}) if cols_dim else [""]
    if cols_dim == Dimension.PERIOD:
        keys, d = [], date_from
        while d <= date_to:
            k = bucket_of(d, period)
            if not keys or keys[-1] != k:
                keys.append(k)
            d += dt.timedelta(days=1)
        col_keys = keys
    total = sum(cells.values())
    out_rows = []
    for rk in row_keys:
        values = [cells.get((rk, ck), 0) for ck in col_keys]
        row_total = sum(values)
        if rows_dim == Dimension.PERIOD:
            prev = out_rows[-1].total if out_rows else previous.get(bucket_of(prev_to, period), 0)
        else:
            prev = previous.get(rk, 0)
        out_rows.append(StatsRow(lab.header(rows_dim, rk), values, row_total,
                                 (row_total / total) if total else None, prev, year_ago.get(rk, 0)))
    col_headers = [lab.header(cols_dim, ck) for ck in col_keys] if cols_dim else [
        Header("", str(_("Total")), {})]
    col_totals = [sum(cells.get((rk, ck), 0) for rk in row_keys) for ck in col_keys]
    prev_total = sum(previous.values()) if rows_dim != Dimension.PERIOD else sum(
        v for k, v in previous.items())
    return StatsTable(
        query=query, date_from=date_from, date_to=date_to, measure=measure, rows=out_rows, cols=col_headers,
        col_totals=col_totals, total=total, previous_total=prev_total, year_ago_total=sum(year_ago.values()),
        previous_from=prev_from, previous_to=prev_to, as_of=rollup_as_of(), org_unit=scope.unit,
        org_units=scope.units, calendar_missing=missing)


# -- the KPI board -----------------------------------------------------------------------------

@dataclass
class KpiFigure:
    code: str
    label: str
    formula: str
    unit: str  # rate | hours | per_base
    value: kpis.KpiValue
    threshold: float | None = None  # as entered: a percentage for rates, hours for times
    direction: str = ""
    crossed: bool = False


@dataclass
class KpiBoard:
    date_from: dt.date
    date_to: dt.date
    org_unit: OrgUnit | None
    figures: list[KpiFigure]
    rates: list[KpiFigure]  # the normalised rates whose base is entered
    totals: dict[str, int]
    as_of: dt.datetime | None


def _months(date_from: dt.date, date_to: dt.date) -> list[dt.date]:
    out, d = [], date_from.replace(day=1)
    while d <= date_to:
        out.append(d)
        d = (d + dt.timedelta(days=32)).replace(day=1)
    return out


def threshold_value(kpi: kpis.Kpi, value: kpis.KpiValue) -> float | None:
    """A KPI value on the scale its threshold is entered in (percent for rates, hours)."""
    if value.value is None:
        return None
    return value.value * 100 if kpi.unit == "rate" else value.value


def kpi_board(*, viewer, date_from: dt.date, date_to: dt.date, org_unit: str = "") -> KpiBoard:
    """Every KPI of the library over the period in the viewer's scope (or `org_unit`'s
    subtree), with its formula, the unit's control threshold and whether it is crossed, and
    the normalised rates of the bases entered for the unit. Five queries."""
    scope = stats_scope(viewer, org_unit)
    totals = _sums(scope, date_from, date_to, (), MEASURES)[0]
    complaints = _sums(scope, date_from, date_to, (), ["registered"], where=Q(kind=Kind.COMPLAINT))[0]["registered"]
    unit = scope.unit or (scope.all_units.get(viewer.org_unit_id) if viewer.role not in DEPARTMENT_ROLES else None)
    thresholds = {}
    if unit is not None:
        thresholds = {t.kpi: t for t in ControlThreshold.objects.filter(org_unit=unit, active=True)}
    figures = []
    for k in kpis.KPIS:
        v = k.compute(totals)
        t = thresholds.get(k.code)
        fig = KpiFigure(k.code, str(k.label), str(k.formula), k.unit, v)
        if t is not None:
            fig.threshold, fig.direction = t.threshold, t.direction
            fig.crossed = kpis.crossed(threshold_value(k, v), t.threshold, t.direction)
        figures.append(fig)
    rates = []
    if unit is not None:
        months = _months(date_from, date_to)
        bases: dict[str, list[Decimal]] = defaultdict(list)
        for b in CustomerBase.objects.filter(org_unit=unit, month__in=months):
            bases[b.kind].append(b.value)
        for kind in BaseKind:
            values = bases.get(kind.value)
            if not values:
                continue
            # A stock (customers, users, policies, insured) is averaged over the months; a flow
            # (parcels, premium) is summed. A month with no base entered is said, not guessed.
            flow = kind in (BaseKind.PARCELS, BaseKind.PREMIUM)
            base = float(sum(values)) if flow else float(sum(values)) / len(values)
            v = kpis.per_base(complaints, base, kind)
            if len(values) < len(months):
                v = kpis.KpiValue(v.code, v.numerator, v.denominator, None if flow else v.value,
                                  str(_("The base is entered for %(n)d of the %(m)d months.") % {
                                      "n": len(values), "m": len(months)}))
            fig = KpiFigure(v.code, str(kind.label), str(kpis.BASE_FORMULAS[kind]), "per_base", v)
            t = thresholds.get(v.code)
            if t is not None:
                fig.threshold, fig.direction = t.threshold, t.direction
                fig.crossed = kpis.crossed(v.value, t.threshold, t.direction)
            rates.append(fig)
    return KpiBoard(date_from, date_to, scope.unit, figures, rates, totals, rollup_as_of())


__all__ = ["STATS_ROLES", "KpiBoard", "KpiFigure", "StatsQuery", "StatsTable", "ThresholdDirection", "kpi_board",
           "report_month_of", "report_month_range", "rollup_as_of", "rollup_sums", "rollup_totals",
           "stats_allowed", "stats_scope", "stats_table"]
