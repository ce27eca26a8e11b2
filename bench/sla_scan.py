"""The deadline scan at a million open tickets: nothing due, then a burst of breaches.

    .venv/bin/python bench/sla_scan.py                 # load (≈1-2 min) and measure
    .venv/bin/python bench/sla_scan.py --reuse         # measure the database as it is
    .venv/bin/python bench/sla_scan.py --profile       # cProfile of the breach burst

Own PostgreSQL database, `complaintdesk_bench_sla` (created and migrated here; override with
--database-url). The organisation is bench/seed.py's. The load is server-side (INSERT …
SELECT FROM generate_series, secondary indexes dropped and rebuilt around it, foreign-key
triggers skipped as superuser): 1,000,000 open tickets held by the handling departments,
each with one running handling clock due between 1 and 31 days from now (warning point 80 %
of the way: nothing is due for ≈19 hours after the load), 20,000 customers, plus a lead assignment and four events for the tickets
the burst will breach (what the dossier reads).

1. Nothing due: `sla_scan(now)` --runs times (median, p95), the SQL it sends and EXPLAIN
   (ANALYZE, BUFFERS) of its three probes. Target ≤ 100 ms.
2. Breach burst: --due clocks (default 10,000) are made due (deadline 5 minutes ago, warning
   already given, level 2 of the ladder a day away) and one `sla_scan(now)` processes them:
   breaches/s, and the CPU the app and its PostgreSQL backend used (the bench machine is
   shared: CPU per breach says more than the wall clock when others are busy). A what-if
   shows where the time goes: no messages at all (the scan's own work). Then two worker
   processes at once. Each round starts from the same state (ledger,
   dossiers, messages deleted; clocks reset).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

from _common import (
    REPO,
    bench_env,
    median,
    percentile,
    setup_django,
    table,
    wait_for_quiet,
    write_result,
)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/complaintdesk_bench_sla"
TICKETS = 1_000_000
CUSTOMERS = 20_000
LADDER = [{"after_minutes": 0, "notify": "supervisor"}, {"after_minutes": 1440, "notify": "dept_head"},
          {"after_minutes": 2880, "notify": "leader"}]
TICKET_ID_BASE = 10_000_000  # clear of anything seed.py may have made


# -- loading ----------------------------------------------------------------------------------

def _insert_select(model, n: int, exprs: dict[str, str], params: dict | None = None) -> None:
    """INSERT INTO model's table SELECT … FROM generate_series(1, n) AS g: `exprs` give SQL
    per column (attname); the other columns take the model's Python default as a parameter."""
    from django.db import connection
    from django.db.models import JSONField

    qn = connection.ops.quote_name
    cols, sel, args = [], [], []
    for f in model._meta.concrete_fields:
        cols.append(qn(f.column))
        if f.attname in exprs:
            sel.append(exprs[f.attname].replace("%", "%%"))  # SQL modulo, not a placeholder
            continue
        default = f.get_default()
        if isinstance(f, JSONField):
            sel.append("%s::jsonb")
            args.append(json.dumps(default))
        else:
            # Typed: an untyped parameter in a SELECT list would be taken for text.
            sel.append(f"%s::{f.cast_db_type(connection)}")
            args.append(default)
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(cols)}) "  # noqa: S608 (names from the model)
           f"SELECT {', '.join(sel)} FROM generate_series(1, {int(n)}) AS g")
    with connection.cursor() as c:
        c.execute(sql, args)


def load(tickets: int, due_tickets: int) -> dict:
    import seed  # bench/seed.py: the organisation and the load helpers
    from django.db import connection, transaction
    from django.utils import timezone

    from complaintdesk.accounts.models import User
    from complaintdesk.customers.models import Customer, CustomerPhone
    from complaintdesk.notifications.models import Message
    from complaintdesk.org.models import Department, OrgUnit
    from complaintdesk.sla.models import CaseDossier, ClockRule, LedgerEntry, Policy, TicketClock
    from complaintdesk.taxonomy.models import Category
    from complaintdesk.tickets.models import Assignment, Ticket, TicketEvent

    t0 = time.perf_counter()
    seed.ensure_org()
    with connection.cursor() as c:
        tables = [m._meta.db_table for m in (Message, CaseDossier, LedgerEntry, TicketClock, TicketEvent,
                                             Assignment, Ticket, CustomerPhone, Customer)]
        c.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    Policy.objects.filter(name="bench-sla").delete()
    policy = Policy.objects.create(name="bench-sla", name_en="bench-sla")
    rule = ClockRule.objects.create(policy=policy, clock="handle", amount=12, unit="working_hours", ladder=LADDER)
    units = list(OrgUnit.objects.exclude(level="province").values_list("id", flat=True))
    depts = list(Department.objects.filter(is_centre=False).values_list("id", flat=True))
    leaf = Category.objects.filter(kind="complaint", numchild=0).order_by("id").first()
    agents = list(User.objects.filter(role="intake_agent").values_list("id", flat=True))
    dispatcher = User.objects.filter(role="dispatcher").values_list("id", flat=True).first()
    now = timezone.now()
    t1 = time.perf_counter()
    arr = "(ARRAY[{}])[1 + (g % {})]".format
    with transaction.atomic():
        seed.skip_fk_triggers()
        with seed.secondary_indexes_dropped([m._meta.db_table for m in (Customer, CustomerPhone, Ticket, TicketClock, Assignment, TicketEvent)]):
            _insert_select(Customer, CUSTOMERS, {
                "id": "g", "name": "'客户' || g", "segment": "'regular'",
                "org_unit_id": arr(",".join(map(str, units)), len(units)), "created_at": "now() - interval '400 days'"})
            _insert_select(CustomerPhone, CUSTOMERS, {
                "id": "g", "customer_id": "g", "number": "'+86138' || lpad(g::text, 8, '0')"})
            _insert_select(Ticket, tickets, {
                "id": f"{TICKET_ID_BASE} + g", "number": f"'SLA' || lpad(({TICKET_ID_BASE} + g)::text, 10, '0')",
                "kind": "'complaint'", "state": "'in_progress'", "category_id": str(leaf.pk), "channel": "'hotline'",
                "title": "'话费多扣 ' || g", "description": "'本月话费比平时多扣了58元，要求查明原因并退还。'",
                "customer_id": f"1 + (g % {CUSTOMERS})", "contact_phone": f"'+86138' || lpad((1 + g % {CUSTOMERS})::text, 8, '0')",
                "org_unit_id": arr(",".join(map(str, units)), len(units)),
                "owner_id": arr(",".join(map(str, agents)), len(agents)),
                "lead_department_id": arr(",".join(map(str, depts)), len(depts)),
                "first_reported_at": "now() - interval '2 hours'", "created_at": "now() - interval '2 hours'",
                "updated_at": "now() - interval '1 hour'", "version": "3"})
            # Due 1 .. 31 days ahead, spread evenly (a hash of g, not its order): the first
            # warning point is ≈19 hours after the load, so --reuse measures "nothing due" for
            # that long.
            due = "now() + interval '1 day' + ((g::bigint * 7919) % 2592000) * interval '1 second'"
            _insert_select(TicketClock, tickets, {
                "id": "g", "ticket_id": f"{TICKET_ID_BASE} + g", "clock": "'handle'", "cycle": "0",
                "rule_id": str(rule.pk), "state": "'running'", "started_at": "now() - interval '1 hour'",
                "due_at": due, "warn_at": f"now() - interval '1 hour' + (({due}) - (now() - interval '1 hour')) * 0.8",
                "explanation": "'{}'::jsonb"})
            # What the dossiers of the burst read: a lead assignment and four events each.
            _insert_select(Assignment, due_tickets, {
                "id": "g", "ticket_id": f"{TICKET_ID_BASE} + g", "department_id": arr(",".join(map(str, depts)), len(depts)),
                "role": "'lead'", "active": "true", "dispatched_at": "now() - interval '100 minutes'",
                "dispatched_by_id": str(dispatcher), "acknowledged_at": "now() - interval '90 minutes'",
                "acknowledged_by_id": "NULL"})
            for k, (typ, frm, to) in enumerate([("registered", "", "registered"), ("reviewed_valid", "registered", "awaiting_dispatch"),
                                                 ("dispatched", "awaiting_dispatch", "dispatched"), ("acknowledged", "dispatched", "in_progress")]):
                _insert_select(TicketEvent, due_tickets, {
                    "id": f"{k * due_tickets} + g", "ticket_id": f"{TICKET_ID_BASE} + g", "type": f"'{typ}'",
                    "actor_id": str(dispatcher), "created_at": f"now() - interval '{120 - 10 * k} minutes'",
                    "from_state": f"'{frm}'", "to_state": f"'{to}'", "payload": "'{}'::jsonb"})
    # Lead departments as the assignments say (the scan reads the ticket's column).
    with connection.cursor() as c:
        c.execute("UPDATE tickets_ticket t SET lead_department_id = a.department_id FROM tickets_assignment a "
                  "WHERE a.ticket_id = t.id AND a.active")
        for m in (Customer, CustomerPhone, Ticket, TicketClock, Assignment, TicketEvent):
            t = m._meta.db_table
            c.execute(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))")  # noqa: S608
    t2 = time.perf_counter()
    _vacuum()
    t3 = time.perf_counter()
    return {"rows": {"tickets": tickets, "clocks": tickets, "customers": CUSTOMERS},
            "seconds": {"org": round(t1 - t0, 1), "insert_and_index": round(t2 - t1, 1),
                        "vacuum_analyze": round(t3 - t2, 1), "total": round(t3 - t0, 1)},
            "loaded_at": now.isoformat()}


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as c:
        for t in ("customers_customer", "customers_customerphone", "tickets_ticket", "sla_ticketclock",
                  "tickets_assignment", "tickets_ticketevent", "sla_ledgerentry", "sla_casedossier",
                  "notifications_message"):
            c.execute(f"VACUUM ANALYZE {t}")


# -- measuring --------------------------------------------------------------------------------

def nothing_due(runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from complaintdesk.sla.models import TicketClock
    from complaintdesk.sla.services.scan import breach_due, escalation_due, sla_scan, warn_due

    open_clocks = TicketClock.objects.filter(state="running").count()
    sla_scan(now=timezone.now())  # warm: connection, plans, caches
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = sla_scan(now=timezone.now())
        times.append((time.perf_counter() - t0) * 1000)
        assert r.total == 0, r
    with CaptureQueriesContext(connection) as ctx:
        sla_scan(now=timezone.now())
    plans = {}
    now = timezone.now()
    for name, due in (("warn", warn_due), ("breach", breach_due), ("escalate", escalation_due)):
        plans[name] = due(now)[:1].explain(analyze=True, buffers=True)
    return {"open_clocks": open_clocks, "runs": runs, "median_ms": round(median(times), 2),
            "p95_ms": round(percentile(times, 95), 2), "max_ms": round(max(times), 2),
            "queries": [q["sql"] for q in ctx.captured_queries], "plans": plans}


def make_due(n: int) -> dt.datetime:
    """Reset the burst: no ledger, dossiers or messages; n clocks due 5 minutes ago, warned
    already, level 2 a day away; every other clock as loaded."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    with connection.cursor() as c:
        c.execute("TRUNCATE sla_casedossier, sla_ledgerentry, notifications_message RESTART IDENTITY CASCADE")
        c.execute("UPDATE sla_ticketclock SET breached_at = NULL, escalation_level = 0, next_escalation_at = NULL, "
                  "warned_at = %s, due_at = %s, warn_at = %s WHERE id <= %s",
                  [now - dt.timedelta(hours=1), now - dt.timedelta(minutes=5), now - dt.timedelta(hours=1), n])
        c.execute("UPDATE tickets_ticket SET sla_status = 'ok' WHERE sla_status <> 'ok'")
    _vacuum()
    return timezone.now()


def _cpu_seconds(pid: int) -> float:
    """CPU (user + system) a process has used so far: here, our PostgreSQL backend."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def burst_one_process(n: int, profile: bool, what_if: str = "") -> dict:
    from django.db import connection
    from django.utils import timezone

    from complaintdesk.sla.services import scan
    from complaintdesk.sla.services.scan import sla_scan

    real_enqueue = scan._enqueue
    if what_if == "none":
        scan._enqueue = lambda outgoing: None  # what-if: the scan's own work alone

    now = make_due(n)
    count = [0]

    def counting(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    prof = cProfile.Profile() if profile else None
    with connection.cursor() as c:
        c.execute("SELECT pg_backend_pid()")
        backend = c.fetchone()[0]
    db0, app0 = _cpu_seconds(backend), time.process_time()
    with connection.execute_wrapper(counting):
        t0 = time.perf_counter()
        if prof:
            prof.enable()
        r = sla_scan(now=timezone.now())
        if prof:
            prof.disable()
        elapsed = time.perf_counter() - t0
    app_cpu, db_cpu = time.process_time() - app0, _cpu_seconds(backend) - db0
    scan._enqueue = real_enqueue
    queries = count[0]
    assert r.breached == n, r
    from complaintdesk.notifications.models import Message

    messages = Message.objects.count()
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
    return {"breached": r.breached, "seconds": round(elapsed, 3), "per_second": round(n / elapsed),
            "app_cpu_s": round(app_cpu, 2), "db_cpu_s": round(db_cpu, 2),
            "per_cpu_second": round(n / (app_cpu + db_cpu)), "messages": messages, "queries": queries, "queries_per_breach": round(queries / n, 2),
            "now": now.isoformat()}


CHILD = r"""
import os, sys, time, json
sys.path.insert(0, os.environ["CODE_ROOT"])
import django
django.setup()
from django.db import connection
from django.utils import timezone
from complaintdesk.sla.services.scan import sla_scan
connection.ensure_connection()
print("ready", flush=True)
sys.stdin.readline()
t0 = time.perf_counter()
r = sla_scan(now=timezone.now())
print(json.dumps({"breached": r.breached, "seconds": time.perf_counter() - t0}), flush=True)
"""


def burst_two_processes(n: int, db_url: str) -> dict:
    make_due(n)
    env = bench_env(db_url)
    env["CODE_ROOT"] = str(REPO)
    env["TASK_QUEUE_URL"] = "immediate"
    procs = [subprocess.Popen([sys.executable, "-c", CHILD], env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    t0 = time.perf_counter()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = [json.loads(p.communicate(timeout=600)[0].strip().splitlines()[-1]) for p in procs]
    elapsed = time.perf_counter() - t0
    total = sum(o["breached"] for o in outs)
    assert total == n, outs
    return {"breached": total, "split": [o["breached"] for o in outs], "seconds": round(elapsed, 3),
            "per_second": round(n / elapsed)}


def _burst_row(name: str, r: dict) -> list:
    return [name, f"{r['breached']:,} breaches ({r['messages']:,} messages) in {r['seconds']} s",
            f"{r['per_second']:,} breaches/s",
            f"{r['app_cpu_s']} + {r['db_cpu_s']} s = {r['per_cpu_second']:,} breaches per CPU-second",
            f"{r['queries']:,} ({r['queries_per_breach']}/breach)", "≥ 2,000/s"]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=DEFAULT_DB)
    ap.add_argument("--tickets", type=int, default=TICKETS)
    ap.add_argument("--due", type=int, default=10_000, help="clocks made due for the breach burst")
    ap.add_argument("--runs", type=int, default=50, help="nothing-due scans to time")
    ap.add_argument("--reuse", action="store_true", help="measure the loaded database as it is")
    ap.add_argument("--profile", action="store_true", help="cProfile the one-process burst")
    ap.add_argument("--no-two-processes", action="store_true")
    ap.add_argument("--no-what-if", action="store_true",
                    help="skip the what-if burst without messages")
    ap.add_argument("--quiet-wait", type=float, default=60, help="seconds to wait for a quiet machine")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    setup_django(args.database_url)
    import seed
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("point --database-url at PostgreSQL")
    result = {"database": connection.settings_dict["NAME"]}
    if not args.reuse:
        seed.create_database(args.database_url)
        print(f"loading {args.tickets:,} open tickets with running clocks…", flush=True)
        result["load"] = load(args.tickets, args.due)
        print(json.dumps(result["load"], indent=2))
    wait_for_quiet(args.quiet_wait)
    nd = nothing_due(args.runs)
    result["nothing_due"] = nd
    print("\nnothing due — the SQL of one scan:")
    for q in nd["queries"]:
        print("  ", q)
    for name, plan in nd["plans"].items():
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) {name} probe:\n{plan}")
    wait_for_quiet(args.quiet_wait)
    print(f"\nbreach burst: {args.due:,} clocks due…", flush=True)
    one = burst_one_process(args.due, args.profile)
    result["burst_one_process"] = one
    rows = [
        ["nothing due", f"{nd['open_clocks']:,} running clocks", f"{nd['median_ms']} ms (p95 {nd['p95_ms']}, max {nd['max_ms']})",
         "", len(nd["queries"]), "≤ 100 ms"],
        _burst_row("breach burst, 1 process", one),
    ]
    if not args.no_what_if:
        wait_for_quiet(args.quiet_wait)
        alone = burst_one_process(args.due, False, what_if="none")
        result["burst_what_if_no_messages"] = alone
        rows.append(_burst_row("what-if: no messages (the scan's own work), 1 process", alone))
    if not args.no_two_processes:
        wait_for_quiet(args.quiet_wait)
        two = burst_two_processes(args.due, args.database_url)
        result["burst_two_processes"] = two
        rows.append(["breach burst, 2 processes", f"{two['breached']:,} breaches in {two['seconds']} s (split {two['split']})",
                     f"{two['per_second']:,} breaches/s", "", "", "≥ 2,000/s"])
    print()
    print(table(["case", "size", "result (wall clock)", "CPU: app + PostgreSQL backend", "SQL statements", "target"], rows))
    path = write_result(f"sla_scan_{time.strftime('%Y%m%d-%H%M%S')}.json", result)
    print(f"\n(written to {path.relative_to(REPO)})")


if __name__ == "__main__":
    os.environ.setdefault("TASK_QUEUE_URL", "immediate")
    sys.exit(main())
