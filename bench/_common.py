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
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results"
TOKEN_FILE = RESULTS / "token.json"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/complaintdesk_bench"
SETTINGS = "complaintdesk.config.settings"
# To measure a candidate change without touching the work tree: copy the code elsewhere,
# change it there and point BENCH_CODE_ROOT at the copy (the folder holding complaintdesk/).
CODE_ROOT = Path(os.environ.get("BENCH_CODE_ROOT") or REPO).resolve()


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


BENCH_DB_NAME = ""  # set by setup_django: whose PostgreSQL backends count as ours


def setup_django(db_url: str) -> None:
    global BENCH_DB_NAME
    BENCH_DB_NAME = db_url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    os.environ.update(bench_env(db_url))
    sys.path.insert(0, str(CODE_ROOT))
    import django

    django.setup()
    import complaintdesk

    if Path(complaintdesk.__file__).resolve().parent.parent != CODE_ROOT:
        raise SystemExit(f"complaintdesk imported from {complaintdesk.__file__}, not {CODE_ROOT}")
    if CODE_ROOT != REPO:
        print(f"(measuring the code in {CODE_ROOT})")


def busy_cores(seconds: float = 2.0) -> float:
    """How many cores the whole machine kept busy over `seconds` (from /proc/stat)."""
    def sample():
        parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = parts[3] + parts[4]  # idle + iowait
        return sum(parts[:8]), idle

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    busy = 1 - (idle1 - idle0) / max(1, total1 - total0)
    return busy * (os.cpu_count() or 1)


def wait_for_quiet(max_wait: float, threshold: float = 0.3) -> float:
    """Wait (at most max_wait seconds) until other work on the machine keeps less than
    `threshold` cores busy; returns the last reading. The bench machine is shared: a
    measurement taken while something else burns a core is worth little."""
    deadline = time.monotonic() + max_wait
    busy = busy_cores()
    while busy > threshold and time.monotonic() < deadline:
        print(f"  (machine busy: {busy:.2f} cores in use by other work; waiting)", flush=True)
        time.sleep(5)
        busy = busy_cores()
    return busy


# -- CPU accounting from /proc: who used the machine during a measurement ----------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_by_process() -> dict[int, tuple[str, float]]:
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
            cmd = Path(f"/proc/{entry.name}/cmdline").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        comm = stat[stat.index("(") + 1: stat.rindex(")")]
        # utime + stime, plus cutime + cstime: the CPU of children already reaped (PostgreSQL
        # backends of connections that were closed, one per request without CONN_MAX_AGE).
        ticks = sum(int(x) for x in fields[11:15])
        out[int(entry.name)] = (_group(comm, cmd), ticks / CLK_TCK)
    return out


def _group(comm: str, cmd: bytes) -> str:
    if comm.startswith("postgres"):
        # A client backend names its database ("postgres: 15/main: user db 127.0.0.1(…) …"):
        # backends of other databases (someone's test run) are other work, not ours.
        client = b"127.0.0.1(" in cmd or b"[local]" in cmd or b"::1(" in cmd
        if client and BENCH_DB_NAME and f" {BENCH_DB_NAME} ".encode() not in cmd:
            return "other"
        return "postgres"
    if comm == "wrk":
        return "wrk"
    if b"gunicorn" in cmd:
        return "gunicorn"
    return "other"


def cpu_split(before: dict, after: dict, seconds: float) -> dict[str, float]:
    """Cores used per group over the interval (2.0 = the whole 2-core machine)."""
    used: dict[str, float] = {"gunicorn": 0.0, "postgres": 0.0, "wrk": 0.0, "other": 0.0}
    for pid, (group, t) in after.items():
        used[group] += t - before.get(pid, (group, 0.0))[1]
    for pid, (group, t) in before.items():
        if pid not in after:  # exited: its CPU now shows in its parent's cutime
            used[group] -= t
    return {k: v / seconds for k, v in used.items()}


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


def measure_get(client, path: str, params: dict, token: str, *, rounds: int, iterations: int,
                warmup: int, max_queries: int) -> dict:
    """GET `path` through Django's test client: its SQL statements (asserted ≤ max_queries),
    then `rounds` of `iterations` timed requests after `warmup` untimed ones, with p50/p95/max
    per round and the CPU of this process and of PostgreSQL per request (medians across rounds
    in the result; `body` is the first answer)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(path, params, **headers)
    assert r.status_code == 200, (r.status_code, r.content[:300])
    queries = len(ctx.captured_queries)
    assert queries <= max_queries, f"{queries} SQL statements for one request (max {max_queries})"
    main_sql = max((x["sql"] for x in ctx.captured_queries), key=len)
    for _ in range(warmup):
        client.get(path, params, **headers)
    per_round = []
    for _ in range(rounds):
        samples = []
        procs, cpu0, wall0 = cpu_by_process(), time.process_time(), time.monotonic()
        for _ in range(iterations):
            t = time.perf_counter()
            client.get(path, params, **headers)
            samples.append((time.perf_counter() - t) * 1000)
        app_cpu = time.process_time() - cpu0
        split = cpu_split(procs, cpu_by_process(), 1.0)  # CPU seconds per group
        per_round.append({"p50": percentile(samples, 50), "p95": percentile(samples, 95),
                          "max": max(samples),
                          "app_cpu_ms": app_cpu * 1000 / iterations,
                          "pg_cpu_ms": split["postgres"] * 1000 / iterations,
                          "other_cores": (split["other"] - app_cpu) / (time.monotonic() - wall0)})
    return {"body": r.json(), "queries": queries, "sql": main_sql, "rounds": per_round,
            **{k: median([x[k] for x in per_round])
               for k in ("p50", "p95", "app_cpu_ms", "pg_cpu_ms", "other_cores")}}
