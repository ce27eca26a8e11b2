"""W4: the staff pages rendered server-side, at 10k and 100k tickets.

    .venv/bin/python bench/w4_pages.py --create-db     # first time: create and migrate bench_w4
    .venv/bin/python bench/w4_pages.py                 # seeds 10k, measures, seeds 100k, measures
    .venv/bin/python bench/w4_pages.py --no-seed       # measures the database as it is

Pages (whichever the work tree has; a page whose url does not resolve is reported "not
measured"): the worklists home (/work/), a worklist page of 50 rows (/work/<key>/), the ticket
page (/tickets/<id>/) and the dashboard (/dashboard/), each as the viewers who use it.

How: Django's test client, in process (the whole server-side stack: middleware, the session
and user lookups of a signed-in staff member — force_login, a real session row —, view,
selectors, template rendering; no network, no gunicorn), as W2 does. Per case `--rounds`
rounds of `--iterations` GETs after a warm-up; p50/p95 per round and their medians, CPU per
request (app and PostgreSQL), SQL statements per request (CaptureQueriesContext) — which must
be the same at both sizes —, and the 100k/10k ratio. Every page is also checked for anything
it would load from outside the app (src/href to another host). Target: p95 ≤ 50 ms.

The seed (bench/seed.py) leaves every ticket "on time" and its callback events without the
satisfaction; so that the dashboard and the at-risk lists have something to count, this script
then marks one open ticket in 7 overdue and one in 7 at risk, copies each ticket's satisfaction
into its callback event, and gives the measured tickets three deadline clocks each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import time

from _common import (
    cpu_by_process,
    cpu_split,
    median,
    percentile,
    setup_django,
    table,
    wait_for_quiet,
    write_result,
)

DEFAULT_DB_W4 = "postgres://postgres@127.0.0.1:5432/bench_w4"
TARGET_P95_MS = 50.0
MAX_QUERIES = 30
OUTSIDE = re.compile(r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//""", re.I)


# -- data touches after the seed ----------------------------------------------------------------

def touch_data() -> dict:
    """Deadline statuses, callback outcomes: see the module docstring. Deterministic (by id)."""
    from django.db import connection

    from complaintdesk.tickets.models import Ticket, TicketEvent
    from complaintdesk.tickets.vocabulary import OPEN_STATES

    t, e = Ticket._meta.db_table, TicketEvent._meta.db_table
    open_states = tuple(sorted(s.value for s in OPEN_STATES))
    with connection.cursor() as c:
        c.execute(f"UPDATE {t} SET sla_status = CASE WHEN id %% 7 = 0 THEN 'overdue' "  # noqa: S608 (model tables)
                  f"WHEN id %% 7 = 1 THEN 'at_risk' ELSE 'ok' END WHERE state = ANY(%s)", [list(open_states)])
        c.execute(f"UPDATE {e} ev SET payload = jsonb_build_object('satisfaction', tk.satisfaction) "  # noqa: S608
                  f"FROM {t} tk WHERE ev.ticket_id = tk.id AND ev.type = 'called_back' AND tk.satisfaction <> ''")
        callbacks = c.rowcount
        # The whole database, the small tables too: seed.py analyses only the tables it loads,
        # and autovacuum never analyses a table of a few dozen rows (org units, departments:
        # fewer changes than autovacuum_analyze_threshold = 50), so their statistics would stay
        # the planner's defaults (70 rows, guessed selectivities) and mislead every scope join.
        c.execute("ANALYZE")
    return {"callbacks_with_outcome": callbacks}


def give_clocks(ticket_id: int) -> None:
    """Three clocks like a dispatched ticket's: acknowledged (stopped), handling (running,
    overdue) and the ticket deadline (running)."""
    from django.utils import timezone

    from complaintdesk.sla.models import TicketClock

    now = timezone.now()
    TicketClock.objects.filter(ticket_id=ticket_id).delete()
    TicketClock.objects.bulk_create([
        TicketClock(ticket_id=ticket_id, clock="acknowledge", state="stopped", started_at=now - dt.timedelta(days=2),
                    due_at=now - dt.timedelta(days=1), stopped_at=now - dt.timedelta(days=1, hours=2)),
        TicketClock(ticket_id=ticket_id, clock="handle", state="running", started_at=now - dt.timedelta(days=2),
                    due_at=now - dt.timedelta(hours=3), warn_at=now - dt.timedelta(hours=8),
                    breached_at=now - dt.timedelta(hours=3)),
        TicketClock(ticket_id=ticket_id, clock="ticket", state="running", started_at=now - dt.timedelta(days=2),
                    due_at=now + dt.timedelta(days=3), warn_at=now + dt.timedelta(days=2)),
    ])


# -- the cases --------------------------------------------------------------------------------

def _user(role: str, department: str | None = None, unit: str = "jn"):
    from complaintdesk.accounts.models import User

    users = User.objects.filter(role=role, org_unit__code=unit, is_active=True)
    if department:
        users = users.filter(department__code=department)
    user = users.order_by("id").first()
    if user is None:
        raise SystemExit(f"no {role} ({department or 'any department'}, {unit}) in the bench org: seed first")
    return user


def _url(name: str, **kwargs) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def _busiest_ticket(*, open_: bool, department: str = "billing") -> int:
    """The ticket with the longest timeline (most events), open and held by the department,
    or closed: a deterministic pick that is a heavy ticket page."""
    from django.db.models import Count

    from complaintdesk.tickets.models import Ticket
    from complaintdesk.tickets.vocabulary import OPEN_STATES

    tickets = Ticket.objects.all()
    if open_:
        tickets = tickets.filter(state__in=sorted(OPEN_STATES), lead_department__code=department)
    else:
        tickets = tickets.filter(state="closed")
    row = (tickets.annotate(n=Count("events")).order_by("-n", "-id").values_list("id", "n").first())
    if row is None:
        raise SystemExit("no ticket to show: seed first")
    return row[0]


def cases() -> list[dict]:
    """(page, viewer, path) of every case; path None when the page is not installed."""
    supervisor = _user("supervisor", "centre")
    dispatcher = _user("dispatcher", "centre")
    handler = _user("handler", "billing")
    head = _user("dept_head", "billing")
    open_ticket = _busiest_ticket(open_=True)
    closed_ticket = _busiest_ticket(open_=False)
    give_clocks(open_ticket)
    home = _url("workbench:home")
    wl = {k: _url("workbench:worklist", key=k) for k in ("all", "at_risk", "to_handle", "to_dispatch")}
    ticket = {k: _url("workbench:ticket", ticket_id=v) for k, v in (("open", open_ticket), ("closed", closed_ticket))}
    dash = _url("reports:dashboard")
    return [
        {"page": "sign-in page (baseline)", "viewer": "anonymous", "user": None, "path": _url("web:login")},
        {"page": "worklists home", "viewer": "dispatcher", "user": dispatcher, "path": home},
        {"page": "worklists home", "viewer": "handler (billing)", "user": handler, "path": home},
        {"page": "worklists home", "viewer": "supervisor", "user": supervisor, "path": home},
        {"page": "worklist all, 50 rows", "viewer": "supervisor", "user": supervisor, "path": wl["all"], "rows": 50},
        {"page": "worklist at_risk, 50 rows", "viewer": "supervisor", "user": supervisor, "path": wl["at_risk"],
         "rows": 50},
        {"page": "worklist to_handle", "viewer": "handler (billing)", "user": handler, "path": wl["to_handle"]},
        {"page": "worklist to_dispatch", "viewer": "dispatcher", "user": dispatcher, "path": wl["to_dispatch"]},
        {"page": f"ticket page (open, #{open_ticket})", "viewer": "supervisor", "user": supervisor,
         "path": ticket["open"], "key": "ticket page (open)"},
        {"page": f"ticket page (open, #{open_ticket})", "viewer": "handler (billing)", "user": handler,
         "path": ticket["open"], "key": "ticket page (open)"},
        {"page": f"ticket page (closed, #{closed_ticket})", "viewer": "supervisor", "user": supervisor,
         "path": ticket["closed"], "key": "ticket page (closed)"},
        # Computed on every request (its 60-second cache off): what the first look of the
        # minute costs. Then the same page served from that cache.
        {"page": "dashboard (computed)", "viewer": "supervisor (province)", "user": supervisor, "path": dash,
         "settings": {"REPORTS_DASHBOARD_CACHE_SECONDS": 0}},
        {"page": "dashboard, one city (computed)", "viewer": "supervisor (province)", "user": supervisor,
         "path": dash and f"{dash}?org_unit=jn-qz", "settings": {"REPORTS_DASHBOARD_CACHE_SECONDS": 0}},
        {"page": "dashboard (computed)", "viewer": "dept head (billing)", "user": head, "path": dash,
         "settings": {"REPORTS_DASHBOARD_CACHE_SECONDS": 0}},
        {"page": "dashboard (from the 60 s cache)", "viewer": "supervisor (province)", "user": supervisor,
         "path": dash, "settings": {"REPORTS_DASHBOARD_CACHE_SECONDS": 60}},
    ]


def _rows_shown(html: str) -> int:
    # Rows of a worklist table link to their ticket page.
    return len(set(re.findall(r'href="/tickets/(\d+)/"', html)))


def measure(case: dict, rounds: int, iterations: int, warmup: int) -> dict:
    from django.test.utils import override_settings

    with override_settings(**case.get("settings", {})):
        return _measure(case, rounds, iterations, warmup)


def _measure(case: dict, rounds: int, iterations: int, warmup: int) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    if case["user"] is not None:
        client.force_login(case["user"])
    path = case["path"]
    if case.get("settings", {}).get("REPORTS_DASHBOARD_CACHE_SECONDS"):
        client.get(path)  # fills the cache: the count below is that of a cached page
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(path)
    assert r.status_code == 200, (path, r.status_code, r.content[:300])
    html = r.content.decode()
    outside = OUTSIDE.findall(html)
    queries = len(ctx.captured_queries)
    slowest = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:3]
    for _ in range(warmup):
        client.get(path)
    per_round = []
    for _ in range(rounds):
        samples = []
        procs, cpu0, wall0 = cpu_by_process(), time.process_time(), time.monotonic()
        for _ in range(iterations):
            t = time.perf_counter()
            client.get(path)
            samples.append((time.perf_counter() - t) * 1000)
        app_cpu = time.process_time() - cpu0
        split = cpu_split(procs, cpu_by_process(), 1.0)
        per_round.append({"p50": percentile(samples, 50), "p95": percentile(samples, 95), "max": max(samples),
                          "app_cpu_ms": app_cpu * 1000 / iterations,
                          "pg_cpu_ms": split["postgres"] * 1000 / iterations,
                          "other_cores": max(0.0, split["other"] - app_cpu) / (time.monotonic() - wall0)})
    return {
        "queries": queries, "bytes": len(r.content), "rows": _rows_shown(html), "outside": outside,
        "slowest_sql": [{"ms": round(float(q["time"]) * 1000, 2), "sql": q["sql"][:300]} for q in slowest],
        "rounds": per_round,
        **{k: median([x[k] for x in per_round]) for k in ("p50", "p95", "app_cpu_ms", "pg_cpu_ms", "other_cores")},
    }


def run_size(size: int | None, args) -> dict:
    from complaintdesk.tickets.models import Ticket
    from complaintdesk.tickets.vocabulary import OPEN_STATES

    if size is not None:
        import seed

        info = seed.seed(size, events=args.events, quiet=True)
        print(f"seeded {size} tickets in {info['seconds']['total']} s ({info['open_tickets']} open)", flush=True)
    touched = touch_data()
    total = Ticket.objects.count()
    n_open = Ticket.objects.filter(state__in=sorted(OPEN_STATES)).count()
    out = []
    for case in cases():
        if case["user"] is None and not args.baseline:
            continue
        if args.only and not any(word in case["page"] for word in args.only.split(",")):
            continue
        row = {k: v for k, v in case.items() if k not in ("user", "settings")}
        row.setdefault("key", case["page"])
        if not case["path"]:
            row["measured"] = False
            print(f"  {total:>7} tickets  {case['page']:<32} as {case['viewer']:<22} NOT MEASURED (url does not resolve)")
            out.append(row)
            continue
        for attempt in range(1 + args.retries):
            busy = wait_for_quiet(args.quiet_wait) if args.quiet_wait else None
            m = measure(case, args.rounds, args.iterations, args.warmup)
            if m["other_cores"] <= args.noise_limit:
                break
            print(f"  (other work used {m['other_cores']:.2f} cores during {case['page']} as {case['viewer']}: "
                  f"{'measuring again' if attempt < args.retries else 'kept, flagged'})", flush=True)
        m["noisy"] = m["other_cores"] > args.noise_limit
        m["busy_before"] = busy
        row.update(m, measured=True)
        out.append(row)
        print(f"  {total:>7} tickets  {case['page']:<32} as {case['viewer']:<22} p50 {m['p50']:6.2f} ms  "
              f"p95 {m['p95']:6.2f} ms  SQL {m['queries']:>2}  rows {m['rows']:>3}  "
              f"CPU app {m['app_cpu_ms']:.2f} + PG {m['pg_cpu_ms']:.2f} ms  (other work {m['other_cores']:.2f} cores)"
              + (f"  OUTSIDE: {m['outside']}" if m["outside"] else ""), flush=True)
    return {"tickets": total, "open": n_open, "touched": touched, "cases": out, "loadavg": os.getloadavg()}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=DEFAULT_DB_W4)
    ap.add_argument("--create-db", action="store_true", help="create and migrate the database first")
    ap.add_argument("--sizes", default="10000,100000", help="ticket counts to seed and measure")
    ap.add_argument("--no-seed", action="store_true", help="measure the database as it is")
    ap.add_argument("--events", choices=("full", "first"), default="full")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--quiet-wait", type=float, default=30,
                    help="before each case, wait up to this many seconds for the machine to be idle")
    ap.add_argument("--noise-limit", type=float, default=0.25,
                    help="measure a case again if other processes used more cores than this meanwhile")
    ap.add_argument("--retries", type=int, default=1)
    ap.add_argument("--only", default="", help="only the pages whose name contains one of these (comma-separated)")
    ap.add_argument("--baseline", action="store_true",
                    help="also measure the sign-in page (no query of tickets): what any page costs on this machine now")
    args = ap.parse_args(argv)
    setup_django(args.database_url)
    if args.create_db:
        import seed

        seed.create_database(args.database_url)
    from django.conf import settings

    if settings.DEBUG:
        raise SystemExit("DEBUG is on: template caching and query logging would distort the figures")

    sizes = [None] if args.no_seed else [int(x) for x in args.sizes.split(",")]
    results = [run_size(size, args) for size in sizes]

    rows = []
    for res in results:
        for c in res["cases"]:
            if not c.get("measured"):
                rows.append([f"{res['tickets']:,}", c["page"], c["viewer"], "not measured", "", "", "", "", "", "", ""])
                continue
            rows.append([f"{res['tickets']:,}", c["page"], c["viewer"], f"{c['p50']:.1f}", f"{c['p95']:.1f}",
                         " / ".join(f"{r['p95']:.0f}" for r in c["rounds"]), c["queries"],
                         c["rows"] or "", f"{c['app_cpu_ms']:.1f}", f"{c['pg_cpu_ms']:.1f}",
                         f"{c['other_cores']:.2f}" + (" (noisy)" if c["noisy"] else "")])
    print()
    print(table(["tickets", "page", "viewer", "p50 ms", "p95 ms", "p95 per round", "SQL", "rows",
                 "app CPU ms", "PG CPU ms", "other cores"], rows))
    ok = True
    if len(results) >= 2:
        small, big = results[0], results[-1]
        ratio_rows = []
        for a, b in zip(small["cases"], big["cases"], strict=True):
            if not (a.get("measured") and b.get("measured")):
                ratio_rows.append([b["key"], b["viewer"], "", "", "", "", "not measured"])
                continue
            r95 = b["p95"] / a["p95"]
            same_sql = a["queries"] == b["queries"]
            met = b["p95"] <= TARGET_P95_MS and same_sql and b["queries"] <= MAX_QUERIES and not b["outside"]
            ok &= met
            ratio_rows.append([b["key"], b["viewer"], f"{a['p95']:.1f}", f"{b['p95']:.1f}", f"{r95:.2f}",
                               f"{a['queries']} / {b['queries']}", "met" if met else "MISSED"])
        print()
        print(table(["page", "viewer", f"p95 @{small['tickets']:,}", f"p95 @{big['tickets']:,}", "p95 ratio",
                     "SQL (both sizes)", f"target (p95 ≤ {TARGET_P95_MS:.0f} ms, same SQL count)"], ratio_rows))
    path = write_result(f"w4_{time.strftime('%Y%m%d-%H%M%S')}.json", {"args": vars(args), "results": results})
    print(f"\nresults: {path}")
    if not ok:
        print("W4 target missed (see above).")


if __name__ == "__main__":
    sys.exit(main())
