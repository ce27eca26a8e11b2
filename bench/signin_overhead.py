"""What the sign-in hardening adds to a request of the create path (POST /api/v1/tickets with
a bearer token, no session cookie): django-otp's OTPMiddleware, the idle-timeout middleware and
django-axes' AxesMiddleware (docs/security.md §2, docs/performance.md).

    .venv/bin/python bench/signin_overhead.py [--rounds 7 --number 5000]

In one process, no server and no database: a POST request goes `number` times per round
through the session and authentication middleware to a view answering 201, once bare and once
with the three middlewares in between, as settings.MIDDLEWARE orders them. The request is
anonymous to the session (the API authenticates the token in the view), which is what the
middlewares see on the create path; none of them makes a query then (tests/test_signin_idle.py
asserts the same query count with and without them). Prints the medians and the difference."""

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
    from axes.middleware import AxesMiddleware
    from django.contrib.auth.middleware import AuthenticationMiddleware
    from django.contrib.messages.middleware import MessageMiddleware
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.http import JsonResponse
    from django.test import RequestFactory
    from django_otp.middleware import OTPMiddleware

    from complaintdesk.web.middleware import IdleSessionTimeout

    factory = RequestFactory()
    body = {"id": 1, "number": "TS202612040000001", "state": "in_review"}

    def view(request):
        return JsonResponse(body, status=201)

    def chain(*classes):
        handler = view
        for cls in reversed(classes):
            handler = cls(handler)
        return handler

    bare_chain = chain(SessionMiddleware, AuthenticationMiddleware, MessageMiddleware)
    full_chain = chain(SessionMiddleware, AuthenticationMiddleware, OTPMiddleware, MessageMiddleware,
                       IdleSessionTimeout, AxesMiddleware)

    def bare():
        assert bare_chain(factory.post("/api/v1/tickets")).status_code == 201

    def hardened():
        assert full_chain(factory.post("/api/v1/tickets")).status_code == 201

    def median_us(fn) -> float:
        return statistics.median(timeit.timeit(fn, number=args.number) / args.number * 1e6
                                 for _ in range(args.rounds))

    load = os.getloadavg()[0]
    a, b = median_us(bare), median_us(hardened)
    print(f"{args.rounds} rounds × {args.number} requests, load average {load:.1f} on {os.cpu_count()} cores")
    print("| case | µs per request (median) |")
    print("|---|---|")
    print(f"| request → session, auth, messages → 201 | {a:.0f} |")
    print(f"| same with OTP, idle-timeout and axes middleware | {b:.0f} |")
    print(f"| **added by the sign-in hardening** | **{b - a:.0f}** |")


if __name__ == "__main__":
    main()
