"""Shared by the bench scripts: environment, Django set-up, small statistics helpers.

The benchmarks never touch the development database: they default to their own PostgreSQL
database (`complaintdesk_bench`) and read/write their artefacts under bench/results/
(git-ignored).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results"
TOKEN_FILE = RESULTS / "token.json"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/complaintdesk_bench"
SETTINGS = "complaintdesk.config.settings"


def bench_env(db_url: str) -> dict[str, str]:
    """The environment every bench process (and the gunicorn under test) runs with."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE=SETTINGS,
        DEBUG="0",
        LOG_LEVEL="WARNING",
        ALLOWED_HOSTS="127.0.0.1,testserver",
        # A throw-away key so that settings never write one into ./data.
        SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-key-not-a-secret-0123456789abcdef",
        COMPLAINTDESK_DATA_DIR=str(RESULTS / "data"),
    )
    return env


def setup_django(db_url: str) -> None:
    os.environ.update(bench_env(db_url))
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def median(values: list[float]) -> float:
    return statistics.median(values)


def write_result(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    return path


def table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table (pastes straight into docs/performance.md)."""
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    sep = "| " + " | ".join("-" * w for w in widths) + " |"
    body = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    return "\n".join([line, sep, *body])
