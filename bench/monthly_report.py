"""The monthly report at 100k tickets on PostgreSQL (issue 11 §3 bench: ≤ 300 ms for all
tables at 100k).

    .venv/bin/python bench/seed.py --database-url postgres://…/bench_reports --create-db --tickets 100000
    .venv/bin/python bench/monthly_report.py --database-url postgres://…/bench_reports

What is timed, per round, in process (no web server): gathering the figures of the whole
province for the last finished report month (`report_figures`: every query a report runs) and
building every table from them (`report_tables`), i.e. what generating or refreshing a draft
costs; then separately the outputs of a stored report (page tables, xlsx, PDF), which read only
the stored figures. Per case: p50/p95 of wall time over `--iterations` runs after a warm-up, CPU
time of this process (time.process_time) and of the PostgreSQL backend (pg_stat_statements is
not assumed: the backend's own CPU from /proc), SQL statements per run, and the load average,
because the bench machine is shared.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time

from _common import DEFAULT_DB, median, percentile, setup_django, table


def _backend_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=DEFAULT_DB)
    ap.add_argument("--iterations", type=int, default=15)
    args = ap.parse_args(argv)
    setup_django(args.database_url)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone, translation

    from complaintdesk.monthly import selectors, workflow
    from complaintdesk.monthly.services import outputs
    from complaintdesk.monthly.services.report_figures import report_figures
    from complaintdesk.org.models import OrgUnit
    from complaintdesk.tickets.models import Ticket

    translation.activate("zh-hans")
    province = OrgUnit.objects.get(depth=1)
    city = OrgUnit.objects.filter(depth=2).order_by("code").first()
    period = workflow.last_finished_period("monthly", timezone.localtime().date())
    with connection.cursor() as cur:
        cur.execute("select pg_backend_pid()")
        pid = cur.fetchone()[0]
    total = Ticket.objects.count()
    print(f"{total} tickets; report month {period.start} – {period.end}; load average {os.getloadavg()}")

    def measure(name, fn):
        fn()  # warm-up (the calendar snapshot, font registration, query plans)
        walls, cpus, dbs = [], [], []
        with CaptureQueriesContext(connection) as ctx:
            fn()
        queries = len(ctx.captured_queries)
        for _ in range(args.iterations):
            c0, d0, w0 = time.process_time(), _backend_cpu(pid), time.perf_counter()
            fn()
            walls.append((time.perf_counter() - w0) * 1000)
            cpus.append((time.process_time() - c0) * 1000)
            dbs.append((_backend_cpu(pid) - d0) * 1000)
        return [name, f"{median(walls):.1f}", f"{percentile(walls, 95):.1f}", f"{median(cpus):.1f}",
                f"{median(dbs):.0f}", queries]

    figures = {}

    def gather(unit):
        def run():
            f = report_figures(unit=unit, period=period)
            selectors.report_tables(f)
            figures[unit.pk] = f
        return run

    rows = [measure(f"figures + all tables, {province.code} (whole province)", gather(province)),
            measure(f"figures + all tables, {city.code} (a city)", gather(city))]
    f = figures[province.pk]
    print(f"  registered {f['totals']['registered']}, closed {f['totals']['closed']}, "
          f"overdue {f['totals']['overdue']}, tables {len(selectors.report_tables(f))}")

    def xlsx():
        outputs.report_xlsx(title="t", meta=[], notes=[], texts=[], tables=selectors.report_tables(f), out=io.BytesIO())

    font = outputs._register_font(outputs.cjk_font_path())

    def pdf():
        charts = [("trend", outputs.trend_chart(f["trend"], font=font))]
        outputs.report_pdf(title="t", meta=[("unit", "jn")], notes=selectors.report_notes(f), texts=[],
                           tables=selectors.report_tables(f), charts=charts, footer="bench")

    rows.append(measure("xlsx of a stored report (no query)", xlsx))
    rows.append(measure("PDF of a stored report (no query)", pdf))
    print(table(["case", "p50 ms", "p95 ms", "app CPU ms", "PostgreSQL CPU ms", "SQL"], rows))
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())
