"""Statistics bench (issue 11): the statistics table by two dimensions, the KPI board and the
scoped dashboard, read from the roll-up (stats/), on a seeded PostgreSQL database; and what a
refresh of the roll-up costs.

    bench/seed.py --database-url postgres://postgres@127.0.0.1:5432/bench_stats --create-db --tickets 100000
    bench/stats_rollup.py --database-url postgres://postgres@127.0.0.1:5432/bench_stats [--rebuild]

Each figure is the median of --repeat runs after one warm-up: wall time, this process's CPU
time, and the database's own execution time of the main query (EXPLAIN ANALYZE). The load
average is printed with them: on a shared machine the wall times mean little without it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import DEFAULT_DB, setup_django  # noqa: E402


def _timed(fn, repeat: int) -> dict:
    fn()
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - w) * 1000)
        cpus.append((time.process_time() - c) * 1000)
    return {"wall_ms": round(statistics.median(walls), 1), "cpu_ms": round(statistics.median(cpus), 1)}


def _db_ms(sql: str, params) -> float:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cur.fetchone()[0]
    plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
    return round(plan["Execution Time"], 1)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=DEFAULT_DB)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rebuild", action="store_true", help="rebuild the roll-up first (and time it)")
    args = ap.parse_args(argv)
    setup_django(args.database_url)

    from django.db import connection
    from django.utils import timezone

    from complaintdesk.accounts.models import User
    from complaintdesk.org.models import OrgUnit
    from complaintdesk.reports.selectors import dashboard_get
    from complaintdesk.stats.models import DailyCount
    from complaintdesk.stats.selectors import StatsQuery, _rows, kpi_board, stats_scope, stats_table
    from complaintdesk.stats.services.rollup import rollup_rebuild, rollup_refresh
    from complaintdesk.tickets.models import Ticket

    out: dict = {"tickets": Ticket.objects.count(), "load_average": os.getloadavg()}
    if args.rebuild or not DailyCount.objects.exists():
        w, c = time.perf_counter(), time.process_time()
        r = rollup_rebuild()
        out["rebuild"] = {"days": r.days, "rows": r.rows, "wall_s": round(time.perf_counter() - w, 1),
                          "cpu_s": round(time.process_time() - c, 1)}
        with connection.cursor() as cur:
            cur.execute("ANALYZE stats_dailycount")
    out["rollup_rows"] = DailyCount.objects.count()

    admin = User.objects.filter(role="admin").first()
    city = OrgUnit.objects.filter(depth=2).order_by("code").first()
    city_sup, _ = User.objects.get_or_create(username="bench-stats-city-supervisor", defaults=dict(
        role="supervisor", org_unit=city, display_name="bench"))
    head = User.objects.filter(role="dept_head").order_by("username").first()
    today = timezone.localdate()
    year_ago = today - dt.timedelta(days=364)
    month_from = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=26)
    cases = [
        ("category × channel, 12 months", StatsQuery(rows="category", cols="channel", date_from=year_ago, date_to=today)),
        ("org unit × severity, 12 months", StatsQuery(rows="org_unit", cols="severity", date_from=year_ago,
                                                      date_to=today)),
        ("report month × kind, 12 months", StatsQuery(rows="period", cols="kind", period="report_month",
                                                      date_from=year_ago, date_to=today)),
        ("category × lead department, this report month",
         StatsQuery(rows="category", cols="lead_department", date_from=month_from, date_to=today)),
    ]
    results = []
    for viewer_name, viewer in (("admin (everything)", admin), ("city supervisor", city_sup), ("dept head", head)):
        for name, q in cases:
            r = _timed(lambda q=q, viewer=viewer: stats_table(viewer=viewer, query=q), args.repeat)
            scope = stats_scope(viewer, q.org_unit)
            from complaintdesk.stats.selectors import COLUMN, Dimension
            cols = [COLUMN[Dimension(q.rows)]] + ([COLUMN[Dimension(q.cols)]] if q.cols else [])
            from django.db.models import Sum

            from complaintdesk.stats.selectors import check_period
            a, b = check_period(q.date_from, q.date_to, today)
            qs = _rows(scope, a, b).order_by().values(*cols).annotate(n=Sum("registered"))
            sql, params = qs.query.sql_with_params()
            r["db_ms_cells"] = _db_ms(sql, params)
            results.append({"viewer": viewer_name, "query": name, **r})
    out["stats_table"] = results
    out["kpi_board"] = _timed(lambda: kpi_board(viewer=city_sup, date_from=month_from, date_to=today), args.repeat)
    out["dashboard_scoped"] = {
        "city supervisor": _timed(lambda: dashboard_get(viewer=city_sup), args.repeat),
        "dept head": _timed(lambda: dashboard_get(viewer=head), args.repeat),
        "admin (everything, not from the roll-up)": _timed(lambda: dashboard_get(viewer=admin), args.repeat),
    }
    w, c = time.perf_counter(), time.process_time()
    r = rollup_refresh()
    out["refresh_idle"] = {"days": r.days, "wall_ms": round((time.perf_counter() - w) * 1000, 1),
                           "cpu_ms": round((time.process_time() - c) * 1000, 1)}
    out["load_average_after"] = os.getloadavg()
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
