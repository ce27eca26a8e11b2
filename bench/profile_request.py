"""Where a request's time goes: SQL statements (with PostgreSQL planning and execution time),
CPU of the app and of PostgreSQL per request, and the hottest Python functions.

    .venv/bin/python bench/profile_request.py create          # POST /api/v1/tickets (W1's request)
    .venv/bin/python bench/profile_request.py list            # W2's request, as the department's handler
    .venv/bin/python bench/profile_request.py list --viewer supervisor --department billing

In process, through Django's test client, against the bench database (seed it first).
`BENCH_CODE_ROOT=/path/to/a/copy` measures a changed copy of the code (see bench/README.md).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import sys
import time
from pathlib import Path

from _common import DEFAULT_DB, TOKEN_FILE, median, setup_django


def _token_for(user) -> str:
    from complaintdesk.accounts.models import ApiToken, hash_token

    raw = ApiToken.new_raw_token()
    ApiToken.objects.create(user=user, name="bench-profile", key_hash=hash_token(raw), prefix=raw[:8])
    return raw


def create_request(client):
    """POST a valid new ticket (new customer each time) as the bench intake agent."""
    token = json.loads(TOKEN_FILE.read_text())["token"]
    counter = iter(range(10**9))
    run = time.time_ns()

    def send():
        n = next(counter)
        body = {
            "kind": "complaint", "category": "c-billing-overcharge", "channel": "hotline",
            "title": "话费多扣", "description": "本月话费多扣了58元，要求退还。",
            "customer": {"name": "张三", "phone": f"139{random.randint(0, 99999999):08d}"},
            "elements": {"account_phone": "13800138000", "month": "2026-10-01", "amount": "58"},
        }
        return client.post("/api/v1/tickets", data=json.dumps(body, ensure_ascii=False),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
                           HTTP_IDEMPOTENCY_KEY=f"profile-{run}-{n}")

    return send, 201


def list_request(client, viewer: str, department: str):
    from complaintdesk.accounts.models import User

    users = User.objects.filter(role=viewer)
    if viewer in ("handler", "dept_head"):
        users = users.filter(department__code=department)
    token = _token_for(users.order_by("id").first())

    def send():
        return client.get("/api/v1/tickets", {"department": department, "open": "true"},
                          HTTP_AUTHORIZATION=f"Bearer {token}")

    return send, 200


def backend_cpu() -> float:
    """CPU seconds used so far by this process's own PostgreSQL backend: unlike the sum over
    every postgres process, it does not count what other sessions on the machine are doing."""
    import os

    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT pg_backend_pid()")
        pid = c.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def explain_times(sql: str) -> tuple[float, float] | None:
    """(planning ms, execution ms) of a read; None for statements that are not explained."""
    from django.db import connection

    if not sql.lstrip().upper().startswith("SELECT"):
        return None
    with connection.cursor() as c:
        c.execute("EXPLAIN (ANALYZE, SUMMARY) " + sql)
        rows = [r[0] for r in c.fetchall()]
    pick = {r.split(":")[0]: float(r.split()[2]) for r in rows if r.startswith(("Planning Time", "Execution Time"))}
    return pick.get("Planning Time", 0.0), pick.get("Execution Time", 0.0)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("create", "list"))
    ap.add_argument("--database-url", default=DEFAULT_DB)
    ap.add_argument("--viewer", default="handler", help="list: role of the viewer")
    ap.add_argument("--department", default="billing", help="list: department code")
    ap.add_argument("--requests", type=int, default=100, help="requests per CPU-measuring round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--top", type=int, default=25, help="functions shown from cProfile")
    args = ap.parse_args(argv)
    setup_django(args.database_url)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    send, status = create_request(client) if args.what == "create" else list_request(client, args.viewer, args.department)
    for _ in range(10):
        assert send().status_code == status
    with CaptureQueriesContext(connection) as ctx:
        response = send()
    assert response.status_code == status, response.content[:300]
    print(f"{len(ctx.captured_queries)} SQL statements for one request:")
    for q in ctx.captured_queries:
        times = explain_times(q["sql"]) if args.what == "list" else None
        extra = f"  [plan {times[0]:.2f} ms, run {times[1]:.2f} ms]" if times else ""
        print(f"  {float(q['time']) * 1000:6.1f} ms  {q['sql'][:110]}{extra}")
    if args.what == "create":
        # Reads only: writes would add rows. Planning dominates the joined reads.
        print("  planning/execution of the reads (EXPLAIN ANALYZE):")
        for q in ctx.captured_queries:
            if q["sql"].startswith("SELECT") and " JOIN " in q["sql"]:
                plan, run = explain_times(q["sql"])
                print(f"    plan {plan:6.2f} ms, run {run:5.2f} ms  {q['sql'][:90]}")

    app, pg, wall = [], [], []
    for _ in range(args.rounds):
        b0, c0, w0 = backend_cpu(), time.process_time(), time.perf_counter()
        for _ in range(args.requests):
            send()
        w = time.perf_counter() - w0
        app.append((time.process_time() - c0) * 1000 / args.requests)
        pg.append((backend_cpu() - b0) * 1000 / args.requests)
        wall.append(w * 1000 / args.requests)
    print(f"\nper request (median of {args.rounds} rounds of {args.requests}): wall {median(wall):.2f} ms, "
          f"CPU app {median(app):.2f} ms + PostgreSQL {median(pg):.2f} ms "
          f"→ at most ≈{2000 / (median(app) + median(pg)):.0f} requests/s on 2 cores")

    prof = cProfile.Profile()
    prof.enable()
    for _ in range(args.requests):
        send()
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(args.top)
    print("\ncProfile, by own time:\n" + "\n".join(out.getvalue().splitlines()[4:]))


if __name__ == "__main__":
    sys.exit(main())
