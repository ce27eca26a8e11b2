"""CAPA: the corrective-action figures (for the monthly report), the CAPA worklist and an
idle overdue round, at a realistic and a large number of actions, on PostgreSQL.

    .venv/bin/python bench/capa_figures.py --database-url postgres://postgres@127.0.0.1:5432/bench_capa \
        --actions 20000

Creates (once) and migrates the database if needed, adds an org unit tree, a few departments
and staff, and `--actions` actions spread over two years (bulk insert; states, deadlines,
closures and verifications mixed), then times as a province supervisor (the whole scope) and
a department head (one department): `capa_figures` for one report month, `action_list` (50
rows), `capa_overdue_round` with nothing due. Wall and process CPU time per call (p50 over
`--iterations`), SQL statements per call. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time

from _common import median, setup_django, table, write_result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_capa")
    ap.add_argument("--actions", type=int, default=20000)
    ap.add_argument("--iterations", type=int, default=20)
    args = ap.parse_args()
    _create_db(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    from complaintdesk.capa.selectors import ActionFilters, action_list, capa_figures
    from complaintdesk.capa.services.overdue import capa_overdue_round

    supervisor, head = _seed(args.actions)
    with connection.cursor() as c:
        c.execute("ANALYZE")  # fresh statistics after the bulk insert, as autovacuum would give
    tz = dt.timezone(dt.timedelta(hours=8))
    start, end = dt.datetime(2026, 10, 26, tzinfo=tz), dt.datetime(2026, 11, 26, tzinfo=tz)
    now = dt.datetime(2024, 1, 1, tzinfo=tz)  # nothing is due before it: the idle round
    cases = {
        "capa_figures (report month)": lambda v: capa_figures(viewer=v, start=start, end=end),
        "action_list (50, open)": lambda v: action_list(viewer=v, filters=ActionFilters(limit=50)),
        "capa_overdue_round (idle)": lambda v: capa_overdue_round(now=now),
    }
    rows, out = [], {}
    for who, viewer in (("supervisor", supervisor), ("dept_head", head)):
        for name, fn in cases.items():
            fn(viewer)  # warm-up
            walls, cpus = [], []
            for _ in range(args.iterations):
                w, c = time.perf_counter(), time.process_time()
                with CaptureQueriesContext(connection) as ctx:
                    fn(viewer)
                walls.append((time.perf_counter() - w) * 1000)
                cpus.append((time.process_time() - c) * 1000)
            rows.append([who, name, f"{median(walls):.1f}", f"{median(cpus):.1f}", len(ctx.captured_queries)])
            out[f"{who}:{name}"] = {"wall_ms_p50": median(walls), "cpu_ms_p50": median(cpus),
                                    "queries": len(ctx.captured_queries)}
    load = os.getloadavg()
    print(f"{args.actions} actions; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    print(table(["viewer", "call", "wall ms p50", "CPU ms p50 (client)", "queries"], rows))
    write_result("capa_figures", {"actions": args.actions, "load": load, "results": out})


def _create_db(url: str):
    import psycopg

    name = url.rstrip("/").rsplit("/", 1)[-1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as c:
        if not c.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            c.execute(f'create database "{name}"')


def _seed(n: int):
    from django.utils import timezone

    from complaintdesk.accounts.models import User
    from complaintdesk.capa.models import CorrectiveAction
    from complaintdesk.org.models import Department, OrgUnit

    root = OrgUnit.objects.filter(code="bench-p").first()
    if root is None:
        root = OrgUnit.add_root(code="bench-p", name="省", name_en="Province", level="province")
        for i in range(4):
            root.add_child(code=f"bench-c{i}", name=f"市{i}", name_en=f"City {i}", level="city")
    units = list(OrgUnit.objects.filter(path__startswith=root.path))
    departments = [Department.objects.get_or_create(code=f"bench-d{i}", defaults=dict(
        org_unit=root, name=f"部门{i}", name_en=f"Dept {i}"))[0] for i in range(8)]
    supervisor = User.objects.filter(username="bench-sup").first() or User.objects.create_user(
        username="bench-sup", password=None, role="supervisor", org_unit=root)
    head = User.objects.filter(username="bench-head").first() or User.objects.create_user(
        username="bench-head", password=None, role="dept_head", org_unit=root, department=departments[0])
    owners = [User.objects.filter(username=f"bench-o{i}").first() or User.objects.create_user(
        username=f"bench-o{i}", password=None, role="handler", org_unit=root,
        department=departments[i % 8]) for i in range(16)]
    have = CorrectiveAction.objects.count()
    rng = random.Random(11)
    base = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    batch = []
    for i in range(have, n):
        raised = base + dt.timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
        due = raised + dt.timedelta(days=rng.randrange(3, 40))
        owner = rng.choice(owners)
        state = rng.choice(["open", "in_progress", "awaiting_verification", "closed", "closed", "closed", "cancelled"])
        row = CorrectiveAction(kind="corrective", source="report", source_note="月报", title=f"措施{i}",
                               description="整改", org_unit=rng.choice(units), owner=owner,
                               owner_department_id=owner.department_id, raised_by=supervisor, raised_at=raised,
                               due_at=due, state=state, updated_at=timezone.now(),
                               escalated_at=due if state != "closed" and state != "cancelled" else None)
        if state == "closed":
            done = raised + dt.timedelta(days=rng.randrange(1, 45))
            row.completed_at = row.submitted_at = row.verified_at = done
            row.effective, row.closed_at, row.closed_on_time = True, done, done <= due
        elif state == "cancelled":
            row.cancelled_at = raised + dt.timedelta(days=2)
        batch.append(row)
        if len(batch) == 5000:
            CorrectiveAction.objects.bulk_create(batch)
            batch = []
    CorrectiveAction.objects.bulk_create(batch)
    return supervisor, head


if __name__ == "__main__":
    main()
