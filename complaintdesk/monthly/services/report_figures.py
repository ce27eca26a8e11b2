"""The ONE place where reports get their figures (issue 11 §3). Everything a report shows is
gathered here into a plain, JSON-ready dict (the snapshot stored with the report): counts,
rates with their formulas' parts, the top categories and causes, the worst units, the lists
of overdue, repeat and hard cases, the daily trend and what the working calendar could not
say. Pages, xlsx and PDF read only that dict.

Source: GROUP BY queries over the period's tickets (created_at / closed_at index ranges),
a fixed number of them whatever the number of tickets. When the statistics roll-up of §1
lands, only `_source()` changes (the shape of the dict stays), so that a report never scans
the ticket table.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from complaintdesk.monthly.workflow import Period, missing_years, monthly_period
from complaintdesk.org.models import Department, OrgUnit
from complaintdesk.sla.services.calendars import calendar_for_unit
from complaintdesk.sla.vocabulary import SlaStatus
from complaintdesk.taxonomy.models import Category
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.vocabulary import Satisfaction, Severity

FIGURES_VERSION = 1
TOP = 10  # top categories, causes, units
CASES = 20  # cases listed per list (the count says how many there are)


def _tz():
    return timezone.get_default_timezone()


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=_tz())


def _names(obj) -> dict:
    return {"code": obj.code, "name": obj.name, "name_en": obj.name_en}


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def report_figures(*, unit: OrgUnit, period: Period, now: dt.datetime | None = None) -> dict:
    """The figures of `unit` (and everything under it) for `period`, as stored with a report.
    About fourteen queries, none of them per row."""
    now = now or timezone.now()
    units = list(OrgUnit.objects.filter(path__startswith=unit.path).order_by("path"))
    unit_ids = [u.pk for u in units]
    start, end = _start(period.start), _start(period.end + dt.timedelta(days=1))
    scope = Ticket.objects.filter(org_unit_id__in=unit_ids)
    registered = scope.filter(created_at__gte=start, created_at__lt=end)
    closed = scope.filter(closed_at__gte=start, closed_at__lt=end)

    # 1. The period's tickets by every dimension a table needs: one scan of the period.
    main = (registered.annotate(is_repeat=ExpressionWrapper(Q(repeat_of__isnull=False),
                                                            output_field=BooleanField()))
            .order_by().values("kind", "channel", "source_tier", "category_id", "org_unit_id",
                               "sla_status", "over_the_head", "is_repeat", "severity", "special",
                               "calendar_missing")
            .annotate(n=Count("id")))
    by = defaultdict(Counter)
    per_unit = defaultdict(Counter)
    total = 0
    for row in main:
        n = row["n"]
        total += n
        for dim in ("kind", "channel", "source_tier", "category_id", "severity"):
            by[dim][row[dim]] += n
        flags = by["flags"]
        u = per_unit[row["org_unit_id"]]
        u["registered"] += n
        if row["sla_status"] == SlaStatus.OVERDUE:
            flags["overdue"] += n
            u["overdue"] += n
        if row["is_repeat"]:
            flags["repeat"] += n
            u["repeat"] += n
        if row["over_the_head"]:
            flags["over_the_head"] += n
            u["over_the_head"] += n
        if row["special"] or row["severity"] == Severity.MAJOR:
            flags["hard"] += n
        if row["calendar_missing"]:
            flags["calendar_missing"] += n

    # 2. Tickets closed in the period: causes, responsible departments, on time, satisfaction.
    closed_rows = (closed.order_by().values("cause", "responsible_department_id", "org_unit_id",
                                            "sla_status", "satisfaction")
                   .annotate(n=Count("id")))
    causes, departments, satisfaction = Counter(), Counter(), Counter()
    closed_total = on_time = 0
    for row in closed_rows:
        n = row["n"]
        closed_total += n
        u = per_unit[row["org_unit_id"]]
        u["closed"] += n
        if row["sla_status"] != SlaStatus.OVERDUE:
            on_time += n
            u["on_time"] += n
        if row["cause"]:
            causes[row["cause"]] += n
        if row["responsible_department_id"]:
            departments[row["responsible_department_id"]] += n
        if row["satisfaction"]:
            satisfaction[row["satisfaction"]] += n
    callbacks = sum(satisfaction.values())

    # 3. The daily trend (local dates).
    per_day = {r["day"]: r["n"] for r in (registered.annotate(day=TruncDate("created_at", tzinfo=_tz()))
                                          .order_by().values("day").annotate(n=Count("id")))}
    trend = [[(period.start + dt.timedelta(days=i)).isoformat(),
              per_day.get(period.start + dt.timedelta(days=i), 0)] for i in range(period.days)]

    # 4. The period before and the same period a year earlier (period-on-period, year-on-year).
    before = period.previous()
    previous = scope.filter(created_at__gte=_start(before.start),
                            created_at__lt=_start(before.end + dt.timedelta(days=1))).count()
    year_ago = scope.filter(created_at__gte=_start(_year_back(period.start)),
                            created_at__lt=_start(_year_back(period.end) + dt.timedelta(days=1))).count()

    # 5. The cases behind the lists (a page each, with the total).
    def cases(qs):
        return [_case(t) for t in qs.select_related("org_unit", "lead_department", "category", "repeat_of")
                .order_by("created_at", "id")[:CASES]]

    overdue_cases = cases(registered.filter(sla_status=SlaStatus.OVERDUE))
    repeat_cases = cases(registered.filter(repeat_of__isnull=False))
    hard_cases = cases(registered.filter(Q(special=True) | Q(severity=Severity.MAJOR)))

    # 6. Names (small tables, read whole).
    cats = {c.pk: c for c in Category.objects.only("id", "code", "name", "name_en", "path", "depth")}
    roots = {c.path: c for c in cats.values() if c.depth == 1}
    depts = {d.pk: d for d in Department.objects.only("id", "code", "name", "name_en")}

    top_categories = [{**_names(cats[cid]), "n": n, "share": _rate(n, total)} if cid in cats
                      else {"code": str(cid), "name": str(cid), "name_en": "", "n": n, "share": _rate(n, total)}
                      for cid, n in by["category_id"].most_common(TOP)]
    by_root = Counter()
    for cid, n in by["category_id"].items():
        cat = cats.get(cid)
        root = roots.get(cat.path[: Category.steplen]) if cat else None
        by_root[root.pk if root else cid] += n
    category_groups = [{**_names(cats[cid]), "n": n, "share": _rate(n, total)}
                       for cid, n in by_root.most_common() if cid in cats]

    # Units: the scope's direct children, each with its subtree (the whole scope's own unit
    # keeps what is registered on it directly).
    children = [u for u in units if u.depth == unit.depth + 1]
    unit_rows = []
    for child in [unit, *children]:
        members = [u.pk for u in units if (u.pk == unit.pk if child is unit else u.path.startswith(child.path))]
        c = Counter()
        for uid in members:
            c.update(per_unit.get(uid, Counter()))
        if child is unit and not c:
            continue
        unit_rows.append({**_names(child), "own": child is unit, **{k: c.get(k, 0) for k in (
            "registered", "closed", "on_time", "overdue", "repeat", "over_the_head")},
            "overdue_rate": _rate(c.get("overdue", 0), c.get("registered", 0)),
            "repeat_rate": _rate(c.get("repeat", 0), c.get("registered", 0))})
    # The worst units: most overdue, then most repeat complaints, relative to their intake.
    worst = sorted((r for r in unit_rows if r["registered"]),
                   key=lambda r: (-(r["overdue_rate"] or 0), -(r["repeat_rate"] or 0), -r["registered"], r["code"]))
    worst = [r["code"] for r in worst if r["overdue"] or r["repeat"]][:TOP]

    calendar = calendar_for_unit(unit.pk).calendar
    flags = by["flags"]
    months = []
    if period.kind != "monthly":
        # The half year by report month (26th–25th).
        bucket = Counter()
        for day_text, n in trend:
            bucket[monthly_period(dt.date.fromisoformat(day_text)).end.isoformat()[:7]] += n
        months = sorted(bucket.items())
    return {
        "version": FIGURES_VERSION,
        "as_of": now.isoformat(),
        "source": "tickets",
        "unit": _names(unit),
        "period": {"kind": str(period.kind), "start": period.start.isoformat(), "end": period.end.isoformat(),
                   "due": period.due.isoformat(), "days": period.days},
        "totals": {
            "registered": total, "previous": previous, "year_ago": year_ago,
            "closed": closed_total, "closed_on_time": on_time,
            "overdue": flags.get("overdue", 0), "repeat": flags.get("repeat", 0),
            "over_the_head": flags.get("over_the_head", 0), "hard": flags.get("hard", 0),
            "callbacks": callbacks, "satisfied": satisfaction.get(Satisfaction.SATISFIED, 0),
        },
        "rates": {
            "on_time": _rate(on_time, closed_total),
            "satisfied": _rate(satisfaction.get(Satisfaction.SATISFIED, 0), callbacks),
            "repeat": _rate(flags.get("repeat", 0), total),
            "over_the_head": _rate(flags.get("over_the_head", 0), total),
            "overdue": _rate(flags.get("overdue", 0), total),
            "change_previous": _rate(total - previous, previous),
            "change_year_ago": _rate(total - year_ago, year_ago),
        },
        "by_kind": _pairs(by["kind"], total),
        "by_channel": _pairs(by["channel"], total),
        "by_source_tier": _pairs(by["source_tier"], total),
        "by_cause": _pairs(causes, closed_total),
        "by_satisfaction": _pairs(satisfaction, callbacks),
        "top_categories": top_categories,
        "category_groups": category_groups,
        "units": unit_rows,
        "worst_units": worst,
        "departments": [{**_names(depts[d]), "n": n, "share": _rate(n, closed_total)}
                        for d, n in departments.most_common(TOP) if d in depts],
        "overdue_cases": overdue_cases,
        "repeat_cases": repeat_cases,
        "hard_cases": hard_cases,
        "trend": trend,
        "months": months,
        "calendar": {"missing_years": missing_years(calendar, period.start, period.end),
                     "tickets_calendar_missing": flags.get("calendar_missing", 0)},
    }


def _pairs(counter: Counter, total: int) -> list[dict]:
    return [{"code": code, "n": n, "share": _rate(n, total)} for code, n in counter.most_common()]


def _year_back(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _case(t: Ticket) -> dict:
    return {
        "id": t.pk, "number": t.number or f"#{t.pk}", "title": t.title,
        "created_at": t.created_at.isoformat(), "state": t.state, "severity": t.severity,
        "unit": _names(t.org_unit),
        "department": _names(t.lead_department) if t.lead_department_id else None,
        "category": _names(t.category),
        "repeat_of": (t.repeat_of.number or f"#{t.repeat_of_id}") if t.repeat_of_id else "",
    }
