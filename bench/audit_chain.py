"""The hash chain's cost (issue 13 §7): what it adds per event written, and how fast
`audit_verify` walks a database.

    .venv/bin/python bench/seed.py --create-db --tickets 10000   # once (events are chained)
    .venv/bin/python bench/audit_chain.py [--rounds 5]

Measures, in this process against the bench database (PostgreSQL):
- `event_hash`: canonical JSON + HMAC-SHA256 of a typical event (µs), what every event write adds;
- the chain-head read that every event after a ticket's first adds (one indexed query, ms);
- `chain_breaks()` over every event of the database (events/s), i.e. `audit_verify`.
Medians over --rounds; the machine is shared, so quote the medians and the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time

from _common import DEFAULT_DB, setup_django


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=DEFAULT_DB)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--hashes", type=int, default=20000)
    ap.add_argument("--heads", type=int, default=500)
    args = ap.parse_args()
    setup_django(args.database_url)

    from complaintdesk.audit.chain import chain_key, event_hash
    from complaintdesk.audit.selectors import chain_breaks
    from complaintdesk.tickets.models import TicketEvent
    from complaintdesk.tickets.services.events import _head

    key = chain_key()
    at = dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.UTC)
    payload = {"channel": "hotline", "category": "billing-overcharge", "number": "TS202612040000001",
               "note": "客户再次来电，要求尽快处理"}
    ticket_ids = list(TicketEvent.objects.values_list("ticket_id", flat=True).distinct()[: args.heads])
    events = TicketEvent.objects.count()
    hash_us, head_ms, verify_rate, broken = [], [], [], 0
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        for i in range(args.hashes):
            event_hash(key, "a" * 64, ticket_id=i, seq=3, type="dispatched", actor_id=7, at=at,
                       from_state="reviewed", to_state="dispatched", payload=payload)
        hash_us.append((time.perf_counter() - t0) / args.hashes * 1e6)
        t0 = time.perf_counter()
        for tid in ticket_ids:
            _head(tid)
        head_ms.append((time.perf_counter() - t0) / max(1, len(ticket_ids)) * 1e3)
        t0 = time.perf_counter()
        broken = sum(1 for _ in chain_breaks())
        verify_rate.append(events / (time.perf_counter() - t0))
    print(f"load average before/after: {os.getloadavg()[0]:.1f} (2 cores, shared)")
    print(f"{'measure':<44} {'median':>12} {'min':>12} {'max':>12}")
    for name, values, fmt in (("event_hash per event (µs)", hash_us, "{:.1f}"),
                              ("chain-head read per event (ms)", head_ms, "{:.3f}"),
                              (f"audit_verify over {events:,} events (events/s)", verify_rate, "{:,.0f}")):
        print(f"{name:<44} {fmt.format(statistics.median(values)):>12} {fmt.format(min(values)):>12} "
              f"{fmt.format(max(values)):>12}")
    print(f"broken links found: {broken}")
    return 0 if broken == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
