"""W5: near-duplicate suggestions — the lookup (≤ 10 ms asked) and its cost at registration.

    .venv/bin/python bench/seed.py --create-db --tickets 100000 --database-url …/bench_<name>
    .venv/bin/python bench/incidents_lookup.py --database-url …/bench_<name>

1. Signs every ticket that has no signature yet (`signatures_backfill`, as the
   `incidents_reindex` command does) and reports the rate and the table sizes.
2. Times `similar_open_tickets` (the selector behind the registration form, the ticket page
   and the API) as a centre supervisor (org-unit scope) and as a department handler
   (assignment scope), for three kinds of text:
   * `seeded`: the title and description of random tickets of the database. The seed writes
     its tickets from a few dozen templates, so these hit LSH buckets holding thousands of
     tickets each — the mass-incident worst case;
   * `real`: real complaint texts from ../shared/data (car complaints and negative shop
     reviews), which the seeded tickets do not resemble: the probe finds few or no candidates;
   * `ticket`: the ticket-page form, by ticket id (the signature is read, not computed).
   p50 / p95 over `--iterations` lookups after a warm-up, SQL statements per lookup, and the
   EXPLAIN ANALYZE of the band probe for a seeded text.
Only 127.0.0.1 is contacted; the run is bounded by its iteration counts.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time

from _common import (
    DEFAULT_DB,
    REPO,
    median,
    percentile,
    setup_django,
    table,
    wait_for_quiet,
    write_result,
)

DATA = REPO.parent / "shared" / "data"


def real_texts(n: int, rng: random.Random) -> list[tuple[str, str]]:
    texts = []
    car = DATA / "car_complaints_12365auto.csv"
    shop = DATA / "online_shopping_10_cats_negative.csv"
    if car.exists():
        with car.open(encoding="utf-8") as f:
            texts += [(r["desc"], "") for r in csv.DictReader(f)]
    if shop.exists():
        with shop.open(encoding="utf-8") as f:
            reader = csv.DictReader(f)
            column = next((c for c in (reader.fieldnames or []) if c in ("review", "text", "content")), None)
            if column:
                texts += [(r[column][:60], r[column]) for r in reader if r.get(column)]
    rng.shuffle(texts)
    return texts[:n]


def timed(fn, iterations: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, statements = [], 0
    for i in range(iterations):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            fn(i)
            times.append((time.perf_counter() - start) * 1000)
        statements = max(statements, len(ctx.captured_queries))
    return times, statements


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=DEFAULT_DB)
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--quiet-wait", type=float, default=30)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    setup_django(args.database_url)

    from django.db import connection

    from complaintdesk.accounts.models import User
    from complaintdesk.incidents import minhash
    from complaintdesk.incidents.models import SignatureBand, TicketSignature
    from complaintdesk.incidents.selectors import (
        candidates_sql,
        similar_open_tickets,
        tickets_to_sign,
    )
    from complaintdesk.incidents.services.signatures import signatures_backfill
    from complaintdesk.tickets.models import Ticket
    from complaintdesk.tickets.vocabulary import OPEN_STATES

    rng = random.Random(args.seed)
    start = time.perf_counter()
    signed = signatures_backfill(tickets=tickets_to_sign())
    backfill_s = time.perf_counter() - start
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            # As autovacuum would: the visibility map lets the band probes read the index only.
            cur.execute("VACUUM ANALYZE incidents_signatureband")
            cur.execute("VACUUM ANALYZE incidents_ticketsignature")
    tickets = Ticket.objects.count()
    bands = SignatureBand.objects.count()
    print(f"signed {signed} tickets in {backfill_s:.1f} s; {tickets} tickets, "
          f"{TicketSignature.objects.count()} signatures, {bands} band rows")

    supervisor = User.objects.select_related("org_unit").filter(role="supervisor").order_by("id").first()
    handler = User.objects.select_related("org_unit").filter(role="handler").order_by("id").first()
    ids = list(Ticket.objects.order_by("?").values_list("id", "title", "description")[:200])
    open_ids = list(Ticket.objects.filter(state__in=sorted(OPEN_STATES)).order_by("?").values_list("id", flat=True)[:200])
    real = real_texts(200, rng) or [("甲市城区4G信号中断无法上网", "")]

    cases = []
    wait_for_quiet(args.quiet_wait)
    for viewer_name, viewer in (("supervisor", supervisor), ("handler", handler)):
        for kind in ("seeded", "real", "ticket"):
            if kind == "seeded":
                def fn(i, v=viewer):
                    _pk, title, description = ids[i % len(ids)]
                    return similar_open_tickets(viewer=v, title=title, description=description)
            elif kind == "real":
                def fn(i, v=viewer):
                    title, description = real[i % len(real)]
                    return similar_open_tickets(viewer=v, title=title, description=description)
            else:
                def fn(i, v=viewer):
                    return similar_open_tickets(viewer=v, ticket_id=open_ids[i % len(open_ids)])
            timed(fn, 30)  # warm-up: jieba's dictionary, datasketch, caches
            times, statements = timed(fn, args.iterations)
            found = sum(len(fn(i)) for i in range(20)) / 20
            cases.append([viewer_name, kind, f"{median(times):.2f}", f"{percentile(times, 95):.2f}",
                          statements, f"{found:.1f}"])
    print(table(["viewer", "text", "p50 ms", "p95 ms", "SQL", "found (avg)"], cases))

    # Where the time goes: the text → signature step alone, and the band probe's plan.
    sig_times, _ = timed(lambda i: minhash.band_keys(minhash.signature(minhash.ticket_text(*real[i % len(real)]))), 300)
    print(f"signature + band keys of a text: p50 {median(sig_times):.3f} ms, p95 {percentile(sig_times, 95):.3f} ms")
    explain = ""
    if connection.vendor == "postgresql":
        _pk, title, description = ids[0]
        keys = minhash.band_keys(minhash.signature(minhash.ticket_text(title, description)))
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + candidates_sql(len(keys)), keys)
            explain = "\n".join(r[0] for r in cur.fetchall())
        print(explain)
    write_result("incidents_lookup", {"tickets": tickets, "bands": bands, "signed": signed,
                                      "backfill_s": backfill_s, "cases": cases, "explain": explain})
    return 0


if __name__ == "__main__":
    sys.exit(main())
