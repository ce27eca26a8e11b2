"""Deadline arithmetic speed: `deadline()` and `working_minutes_between()` of complaintdesk.sla.calendar.

Pure Python, no database, no Django: `.venv/bin/python bench/sla_calendar.py [--calls 100000 --runs 5]`.
Starts are random instants of 2026 (fixed seed) up to 20 December, so no deadline reaches the still
unpublished 2027; the 'calendar missing' path is timed on its own row. Each row is the median of the runs
(the year arrays are built before timing; their one-off cost is printed apart).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from complaintdesk.sla.calendar import (  # noqa: E402
    CalendarMissingWarning,
    Duration,
    Unit,
    WorkingCalendar,
    deadline,
    working_minutes_between,
)

TZ = ZoneInfo("Asia/Shanghai")
YEAR_START = datetime(2026, 1, 1, tzinfo=TZ)
SPAN_S = int((datetime(2026, 12, 20, tzinfo=TZ) - YEAR_START).total_seconds())

DURATIONS = {
    "12 working hours": Duration(12, Unit.WORKING_HOURS),
    "1 working day": Duration(1, Unit.WORKING_DAYS),
    "3 working days": Duration(3, Unit.WORKING_DAYS),
    "24 calendar hours": Duration(24, Unit.CALENDAR_HOURS),
}


def random_starts(rng: random.Random, n: int) -> list[datetime]:
    return [YEAR_START + timedelta(seconds=rng.randrange(SPAN_S)) for _ in range(n)]


def time_deadlines(cal, starts, durations) -> float:
    t0 = time.perf_counter()
    for start, duration in zip(starts, durations, strict=True):
        deadline(cal, start, duration)
    return len(starts) / (time.perf_counter() - t0)


def time_between(cal, pairs) -> float:
    t0 = time.perf_counter()
    for a, b in pairs:
        working_minutes_between(cal, a, b)
    return len(pairs) / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000, help="calls per run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    n = args.calls

    office = WorkingCalendar(name="office")
    hotline = WorkingCalendar(always_open=True, name="hotline")

    t0 = time.perf_counter()
    office.day_kind(YEAR_START.date())  # builds 2026's arrays (reads chinese_calendar once)
    build_ms = (time.perf_counter() - t0) * 1000

    starts = random_starts(rng, n)
    mix = [rng.choice(list(DURATIONS.values())) for _ in range(n)]
    cases: list[tuple[str, object]] = []
    for label, duration in DURATIONS.items():
        cases.append((f"deadline, office, {label}", (office, starts, [duration] * n)))
    cases.append(("deadline, office, the mix of the four", (office, starts, mix)))
    cases.append(("deadline, 24/7 hotline, the mix", (hotline, starts, mix)))
    late = [
        datetime(2026, 12, 31, 10, tzinfo=TZ) + timedelta(seconds=rng.randrange(3600))
        for _ in range(n)
    ]
    cases.append(
        (
            "deadline, reaching into 2027 (missing)",
            (office, late, [DURATIONS["3 working days"]] * n),
        )
    )
    pairs_short = [(a, a + timedelta(seconds=rng.randrange(10 * 86400))) for a in starts]
    pairs_long = [(a, a + timedelta(seconds=rng.randrange(200 * 86400))) for a in starts[: n // 2]]
    pairs_long = [(a, b) for a, b in pairs_long if b.year == 2026] or pairs_short

    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarMissingWarning)
        for label, (cal, s, d) in cases:  # type: ignore[misc]
            rates = [time_deadlines(cal, s, d) for _ in range(args.runs)]
            rows.append((label, rates))
        for label, pairs in (
            ("working_minutes_between, office, ≤ 10 days apart", pairs_short),
            ("working_minutes_between, office, ≤ 200 days apart", pairs_long),
        ):
            rates = [time_between(office, pairs) for _ in range(args.runs)]
            rows.append((label, rates))

    print(f"Python {sys.version.split()[0]}, {n:,} calls per run, median of {args.runs} runs")
    print(f"one-off: building 2026's arrays for a calendar took {build_ms:.1f} ms\n")
    width = max(len(label) for label, _ in rows)
    print(f"{'case':<{width}}  {'calls/s (median)':>17}  {'min':>9}  {'max':>9}  {'µs/call':>7}")
    for label, rates in rows:
        med = statistics.median(rates)
        print(
            f"{label:<{width}}  {med:>17,.0f}  {min(rates):>9,.0f}  {max(rates):>9,.0f}  {1e6 / med:>7.2f}"
        )


if __name__ == "__main__":
    main()
