"""What the retry guard costs on the create path (issue 13 §3): W1's request in process.

    .venv/bin/python bench/seed.py --create-db --tickets 10000     # once
    .venv/bin/python bench/w1_retry_guard.py [--rounds 7 --requests 60]

POST /api/v1/tickets through Django's test client against the bench database, as the bench
intake agent, every body different (a new customer each time, so nothing is refused):
`keyed` sends its own Idempotency-Key (W1, the integrations' way), `unkeyed` sends none, so
the retry guard looks the body up and records it. Rounds alternate the two modes, so both see
the same machine load; per request it reports the SQL statements, the CPU of the app and of
PostgreSQL (less sensitive to a busy machine than wall time) and the wall time, as medians
over the rounds, and the unkeyed/keyed ratio. `BENCH_CODE_ROOT=/copy` measures other code
(e.g. the code before the guard, in `keyed` mode: `--modes keyed`).
"""

from __future__ import annotations

import argparse
import json
import random
import time

from _common import (
    DEFAULT_DB,
    TOKEN_FILE,
    busy_cores,
    cpu_by_process,
    cpu_split,
    median,
    setup_django,
    table,
)


def sender(client, keyed: bool):
    token = json.loads(TOKEN_FILE.read_text())["token"]
    run = time.time_ns()
    counter = iter(range(10**9))

    def send():
        n = next(counter)
        body = {
            "kind": "complaint", "category": "c-billing-overcharge", "channel": "hotline",
            "title": "话费多扣", "description": f"本月话费多扣了58元，要求退还。({run}-{n})",
            "customer": {"name": "张三", "phone": f"139{random.randint(0, 99999999):08d}"},
            "elements": {"account_phone": "13800138000", "month": "2026-10-01", "amount": "58"},
        }
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if keyed:
            headers["HTTP_IDEMPOTENCY_KEY"] = f"guard-bench-{run}-{n}"
        return client.post("/api/v1/tickets", data=json.dumps(body, ensure_ascii=False),
                           content_type="application/json", **headers)

    return send


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=DEFAULT_DB)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--requests", type=int, default=60, help="requests per mode and round")
    ap.add_argument("--modes", default="keyed,unkeyed")
    args = ap.parse_args(argv)
    setup_django(args.database_url)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    modes = [m for m in args.modes.split(",") if m]
    sends = {m: sender(client, m == "keyed") for m in modes}
    statements = {}
    for mode, send in sends.items():
        for _ in range(10):  # warm-up
            assert send().status_code == 201
        with CaptureQueriesContext(connection) as ctx:
            r = send()
        assert r.status_code == 201, r.content[:300]
        statements[mode] = len(ctx.captured_queries)
    app = {m: [] for m in modes}
    pg = {m: [] for m in modes}
    wall = {m: [] for m in modes}
    busy = []
    for _ in range(args.rounds):
        busy.append(busy_cores(1.0))
        for mode in modes:
            send = sends[mode]
            before, c0, w0 = cpu_by_process(), time.process_time(), time.perf_counter()
            for _ in range(args.requests):
                assert send().status_code == 201
            seconds = time.perf_counter() - w0
            split = cpu_split(before, cpu_by_process(), 1.0)
            app[mode].append((time.process_time() - c0) * 1000 / args.requests)
            pg[mode].append(split["postgres"] * 1000 / args.requests)
            wall[mode].append(seconds * 1000 / args.requests)
    rows = [[m, statements[m], f"{median(app[m]):.2f}", f"{median(pg[m]):.2f}",
             f"{median(app[m]) + median(pg[m]):.2f}", f"{median(wall[m]):.2f}"] for m in modes]
    print(f"W1 request in process, {args.rounds} rounds × {args.requests} per mode; machine busy "
          f"(other processes) median {median(busy):.1f} of 2 cores before the rounds")
    print(table(["mode", "SQL/request", "app CPU ms", "PostgreSQL CPU ms", "CPU total ms", "wall ms"], rows))
    if "keyed" in modes and "unkeyed" in modes:
        k = median(app["keyed"]) + median(pg["keyed"])
        u = median(app["unkeyed"]) + median(pg["unkeyed"])
        print(f"unkeyed/keyed CPU per request: {u / k:.2f}; wall: "
              f"{median(wall['unkeyed']) / median(wall['keyed']):.2f}")


if __name__ == "__main__":
    main()
