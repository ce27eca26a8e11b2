"""What the Content-Security-Policy middleware (django-csp) adds to every response, the
create path's 201 included (docs/security.md §5, docs/performance.md).

    .venv/bin/python bench/csp_overhead.py [--rounds 7 --number 5000]

In one process, no server and no database: a POST request and a 201 JSON response are made
`number` times per round, once bare and once passed through CSPMiddleware (process_request +
process_response, i.e. building and setting the header). Prints the medians over the rounds
and the difference per response, beside the load average (the machine is shared: compare the
difference with the ≈30 ms of server CPU a created ticket costs, not with other machines)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "complaintdesk.config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--number", type=int, default=5000)
    args = parser.parse_args()

    import django

    django.setup()
    from csp.middleware import CSPMiddleware
    from django.http import JsonResponse
    from django.test import RequestFactory

    factory = RequestFactory()
    middleware = CSPMiddleware(lambda request: None)
    body = {"id": 1, "number": "TS202612040000001", "state": "in_review"}

    def bare():
        factory.post("/api/v1/tickets")
        JsonResponse(body, status=201)

    def with_csp():
        request = factory.post("/api/v1/tickets")
        middleware.process_request(request)
        response = middleware.process_response(request, JsonResponse(body, status=201))
        assert "Content-Security-Policy" in response

    def median_us(fn) -> float:
        return statistics.median(timeit.timeit(fn, number=args.number) / args.number * 1e6
                                 for _ in range(args.rounds))

    load = os.getloadavg()[0]
    a, b = median_us(bare), median_us(with_csp)
    print(f"{args.rounds} rounds × {args.number} responses, load average {load:.1f} on {os.cpu_count()} cores")
    print("| case | µs per response (median) |")
    print("|---|---|")
    print(f"| request + 201 response, bare | {a:.0f} |")
    print(f"| same through CSPMiddleware | {b:.0f} |")
    print(f"| **added by the policy** | **{b - a:.0f}** |")


if __name__ == "__main__":
    main()
