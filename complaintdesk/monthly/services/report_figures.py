"""The ONE place where reports get their figures (issue 11 §3). Everything a report shows is
gathered here into a plain, JSON-ready dict (the snapshot stored with the report): counts,
the KPIs of the library (stats/kpis.py) with their numerators and denominators, the top
categories and causes, the worst units, the lists of overdue, repeat and major cases, the
daily trend and what the working calendar could not say. Pages, xlsx and PDF read only that
dict.

Source: the statistics roll-up (stats.DailyCount, one row per registration day × dimensions,
kept up to date every minute by stats/services/rollup.py): every count and rate is a sum over
the period's roll-up rows — a report never aggregates the ticket table. Like the roll-up, the
figures follow the tickets registered in the period (a cohort): "closed", "closed on time",
"satisfied" are those of the period's tickets, as of the roll-up's last refresh (stored with
the figures). The ticket table is read only for the cases a list names (at most CASES per
list, found through indexes).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db.models import Q, Sum
from django.utils import timezone

from complaintdesk.monthly.workflow import Period, missing_years, monthly_period
from complaintdesk.org.models import Department, OrgUnit
from complaintdesk.sla.models import TicketClock
from complaintdesk.sla.services.calendars import calendar_for_unit
from complaintdesk.sla.vocabulary import ClockState
from complaintdesk.stats import kpis
from complaintdesk.stats.models import DailyCount, RollupState
from complaintdesk.stats.vocabulary import MEASURES
from complaintdesk.taxonomy.models import Category
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.vocabulary import Severity

FIGURES_VERSION = 2
TOP = 10  # top categories, causes, units
CASES = 20  # cases listed per list (the count says how many there are)
UNIT_MEASURES = ("registered", "closed", "closed_on_time", "breached", "repeat", "over_the_head")
DIMS = ("kind", "category_id", "cause", "responsible_department_id", "org_unit_id", "channel", "source_tier",
        "severity")


def _tz():
    return timezone.get_default_timezone()


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=_tz())


def _names(obj) -> dict:
    return {"code": obj.code, "name": obj.name, "name_en": obj.name_en}


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _registered(rows, date_from: dt.date, date_to: dt.date) -> int:
    return rows.filter(day__gte=date_from, day__lte=date_to).aggregate(n=Sum("registered"))["n"] or 0


def report_figures(*, unit: OrgUnit, period: Period, now: dt.datetime | None = None) -> dict:
    """The figures of `unit` (and everything under it) for `period`, as stored with a report.
    Twelve queries, none of them per row, none aggregating tickets."""
    now = now or timezone.now()
    units = list(OrgUnit.objects.filter(path__startswith=unit.path).order_by("path"))
    unit_ids = [u.pk for u in units]
    rollup = DailyCount.objects.filter(org_unit_id__in=unit_ids)
    period_rows = rollup.filter(day__gte=period.start, day__lte=period.end)

    # 1. Every measure summed over the period (one row), then the period's roll-up rows by
    # every dimension a table needs with the measures the tables show.
    totals = Counter({m: int(v or 0) for m, v in period_rows.aggregate(**{m: Sum(m) for m in MEASURES}).items()})
    by = defaultdict(Counter)
    per_unit: dict[int, dict] = {}
    for row in period_rows.order_by().values(*DIMS).annotate(**{m: Sum(m) for m in UNIT_MEASURES}):
        n = row["registered"]
        for dim in ("kind", "category_id", "channel", "source_tier", "severity"):
            by[dim][row[dim]] += n
        if row["cause"]:
            by["cause"][row["cause"]] += n
        if row["responsible_department_id"]:
            by["department"][row["responsible_department_id"]] += n
        u = per_unit.get(row["org_unit_id"])
        if u is None:
            u = per_unit[row["org_unit_id"]] = dict.fromkeys(UNIT_MEASURES, 0)
        for m in UNIT_MEASURES:
            u[m] += row[m]
    total = totals["registered"]
    neutral = max(0, totals["called_back"] - totals["satisfied"] - totals["dissatisfied"])
    satisfaction = Counter({"satisfied": totals["satisfied"], "neutral": neutral,
                            "dissatisfied": totals["dissatisfied"]})
    satisfaction = +satisfaction  # zeros out

    # 2. The daily trend, and the period before and a year earlier (period-on-period, year-on-year).
    per_day = dict(period_rows.order_by().values_list("day").annotate(n=Sum("registered")))
    trend = [[(period.start + dt.timedelta(days=i)).isoformat(),
              int(per_day.get(period.start + dt.timedelta(days=i)) or 0)] for i in range(period.days)]
    before = period.previous()
    previous = _registered(rollup, before.start, before.end)
    year_ago = _registered(rollup, _year_back(period.start), _year_back(period.end))

    # 3. The cases behind the lists: a page each, found through indexes (the roll-up has the counts).
    start, end = _start(period.start), _start(period.end + dt.timedelta(days=1))
    registered = Ticket.objects.filter(org_unit_id__in=unit_ids, created_at__gte=start, created_at__lt=end)

    def cases(qs):
        return [_case(t) for t in qs.select_related("org_unit", "lead_department", "category", "repeat_of")
                .order_by("created_at", "id")[:CASES]]

    missed = TicketClock.objects.filter(Q(breached_at__isnull=False) | Q(state=ClockState.MISSED),
                                        ticket__org_unit_id__in=unit_ids, ticket__created_at__gte=start,
                                        ticket__created_at__lt=end).values("ticket_id")
    overdue_cases = cases(Ticket.objects.filter(pk__in=missed))
    repeat_cases = cases(registered.filter(repeat_of__isnull=False))
    hard_cases = cases(registered.filter(severity=Severity.MAJOR))

    # 4. Names (small tables, read whole) and when the roll-up was last brought up to date.
    cats = {c.pk: c for c in Category.objects.only("id", "code", "name", "name_en", "path", "depth")}
    roots = {c.path: c for c in cats.values() if c.depth == 1}
    depts = {d.pk: d for d in Department.objects.only("id", "code", "name", "name_en")}
    rollup_as_of = RollupState.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()

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

    # Units: the scope's direct children, each with its subtree (the scope's own unit keeps
    # what is registered on it directly).
    children = [u for u in units if u.depth == unit.depth + 1]
    unit_rows = []
    for child in [unit, *children]:
        members = [u.pk for u in units if (u.pk == unit.pk if child is unit else u.path.startswith(child.path))]
        c = Counter()
        for uid in members:
            c.update(per_unit.get(uid, {}))
        if child is unit and not c.get("registered"):
            continue
        unit_rows.append({**_names(child), "own": child is unit, "registered": c["registered"],
                          "closed": c["closed"], "on_time": c["closed_on_time"], "overdue": c["breached"],
                          "repeat": c["repeat"], "over_the_head": c["over_the_head"],
                          "overdue_rate": _rate(c["breached"], c["registered"]),
                          "repeat_rate": _rate(c["repeat"], c["registered"])})
    # The worst units: most overdue, then most repeat complaints, relative to their intake.
    worst = sorted((r for r in unit_rows if r["registered"] and not r["own"]),
                   key=lambda r: (-(r["overdue_rate"] or 0), -(r["repeat_rate"] or 0), -r["registered"], r["code"]))
    worst = [r["code"] for r in worst if r["overdue"] or r["repeat"]][:TOP]

    calendar = calendar_for_unit(unit.pk).calendar
    months = []
    if period.kind != "monthly":
        bucket = Counter()
        for day_text, n in trend:
            bucket[monthly_period(dt.date.fromisoformat(day_text)).end.isoformat()[:7]] += n
        months = sorted(bucket.items())
    kpi_values = []
    for kpi in kpis.KPIS:
        v = kpi.compute(totals)
        kpi_values.append({"code": kpi.code, "value": None if v.value is None else round(v.value, 4),
                           "numerator": v.numerator, "denominator": v.denominator, "note": v.note})
    return {
        "version": FIGURES_VERSION,
        "as_of": now.isoformat(),
        "source": "rollup",
        "rollup_as_of": rollup_as_of.isoformat() if rollup_as_of else None,
        "unit": _names(unit),
        "period": {"kind": str(period.kind), "start": period.start.isoformat(), "end": period.end.isoformat(),
                   "due": period.due.isoformat(), "days": period.days},
        "measures": dict(totals),
        "totals": {
            "registered": total, "previous": previous, "year_ago": year_ago,
            "closed": totals["closed"], "closed_on_time": totals["closed_on_time"],
            "overdue": totals["breached"], "repeat": totals["repeat"], "over_the_head": totals["over_the_head"],
            "hard": by["severity"].get(Severity.MAJOR, 0), "callbacks": totals["called_back"],
            "satisfied": totals["satisfied"],
        },
        "rates": {
            "on_time": _rate(totals["closed_on_time"], totals["closed"]),
            "satisfied": _rate(totals["satisfied"], totals["called_back"]),
            "repeat": _rate(totals["repeat"], total),
            "over_the_head": _rate(totals["over_the_head"], total),
            "overdue": _rate(totals["breached"], total),
            "change_previous": _rate(total - previous, previous),
            "change_year_ago": _rate(total - year_ago, year_ago),
        },
        "kpis": kpi_values,
        "by_kind": _pairs(by["kind"], total),
        "by_channel": _pairs(by["channel"], total),
        "by_source_tier": _pairs(by["source_tier"], total),
        "by_cause": _pairs(by["cause"], sum(by["cause"].values())),
        "by_satisfaction": _pairs(satisfaction, totals["called_back"]),
        "top_categories": top_categories,
        "category_groups": category_groups,
        "units": unit_rows,
        "worst_units": worst,
        "departments": [{**_names(depts[d]), "n": n, "share": _rate(n, sum(by["department"].values()))}
                        for d, n in by["department"].most_common(TOP) if d in depts],
        "overdue_cases": overdue_cases,
        "repeat_cases": repeat_cases,
        "hard_cases": hard_cases,
        "trend": trend,
        "months": months,
        "calendar": {"missing_years": missing_years(calendar, period.start, period.end),
                     "tickets_calendar_missing": totals["calendar_missing"]},
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
