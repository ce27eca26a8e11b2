"""Two worker processes scan the same due clocks at the same moment on PostgreSQL: every
clock is breached, entered in the ledger, given a dossier and escalated exactly once, and
every person gets exactly one message per event.

Real processes, each with its own connection to the test database (the data is committed:
`transaction=True`), started together behind a barrier so that their scans overlap. SQLite
has no row locks to show this with (its IMMEDIATE transaction serialises the workers
outright), so these tests run on PostgreSQL only — as CI does with DATABASE_URL set."""

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from complaintdesk.accounts.models import User
from complaintdesk.notifications.models import Message
from complaintdesk.sla.models import CaseDossier, ClockRule, LedgerEntry, Policy, TicketClock
from complaintdesk.tickets.models import Assignment, Ticket, TicketEvent

ROOT = Path(__file__).resolve().parent.parent
BREACHED = 2000
WARN_ONLY = 500

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL: several workers with row locks (SKIP LOCKED); "
                              "set DATABASE_URL=postgres://… to run it"),
]

CHILD = r"""
import json, os, sys, time
import django
django.setup()
from django.db import connection
from django.utils.dateparse import parse_datetime
from complaintdesk.sla.services.scan import sla_scan
connection.ensure_connection()
print("ready", flush=True)
assert sys.stdin.readline().strip() == "go"
started = time.time()
r = sla_scan(now=parse_datetime(os.environ["SCAN_NOW"]), batch=int(os.environ["SCAN_BATCH"]))
print(json.dumps({"warned": r.warned, "breached": r.breached, "escalated": r.escalated,
                  "started": started, "ended": time.time()}), flush=True)
"""


def _child_env(now: dt.datetime, batch: int) -> dict:
    s = connection.settings_dict  # during the test: the test database
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}",
        DJANGO_SETTINGS_MODULE="complaintdesk.config.settings",
        TASK_QUEUE_URL="immediate", SCAN_NOW=now.isoformat(), SCAN_BATCH=str(batch),
        PYTHONPATH=str(ROOT),
    )
    return env


def _spawn(argv, env):
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _finish(procs, timeout=240):
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=timeout)
        assert p.returncode == 0, err[-3000:]
        assert "Traceback" not in err, err[-3000:]
        outs.append(out)
    return outs


@pytest.fixture
def many_due(org, make_ticket):
    """BREACHED clocks past their deadline and an hour past level 2, WARN_ONLY clocks past
    their warning point only; tickets of the province held by billing (bulk-made: the scan
    does not care how they came about)."""
    u = org["users"]
    model = make_ticket()
    now = timezone.now().replace(microsecond=0)
    tickets = Ticket.objects.bulk_create([
        Ticket(number=f"W{i:06d}", kind=model.kind, category_id=model.category_id, channel=model.channel,
               title=f"并发测试 {i}", description="两个进程同时扫描", customer_id=model.customer_id,
               contact_phone=model.contact_phone, org_unit_id=model.org_unit_id, owner_id=model.owner_id,
               first_reported_at=now - dt.timedelta(days=1), created_at=now - dt.timedelta(days=1),
               updated_at=now, state="in_progress", lead_department=org["billing"])
        for i in range(BREACHED + WARN_ONLY)
    ])
    Assignment.objects.bulk_create([
        Assignment(ticket=t, department=org["billing"], role="lead", dispatched_at=now - dt.timedelta(hours=20),
                   dispatched_by=u["dispatcher"]) for t in tickets
    ])
    TicketEvent.objects.bulk_create([
        TicketEvent(ticket=t, type="registered", actor=u["intake_agent"], created_at=t.created_at,
                    to_state="registered") for t in tickets
    ])
    TicketClock.objects.all().delete()  # whatever the clock engine may have started
    policy = Policy.objects.create(name="并发", name_en="Concurrency")
    rule = ClockRule.objects.create(policy=policy, clock="handle", amount=12, unit="working_hours", ladder=[
        {"after_minutes": 0, "notify": "supervisor"},
        {"after_minutes": 60, "notify": "dept_head"},
        {"after_minutes": 100000, "notify": "leader"},
    ])
    due = now - dt.timedelta(hours=2)
    TicketClock.objects.bulk_create(
        [TicketClock(ticket=t, clock="handle", rule=rule, started_at=due - dt.timedelta(hours=12),
                     due_at=due, warn_at=due - dt.timedelta(hours=2)) for t in tickets[:BREACHED]]
        + [TicketClock(ticket=t, clock="handle", rule=rule, started_at=now - dt.timedelta(hours=1),
                       due_at=now + dt.timedelta(hours=3), warn_at=now - dt.timedelta(minutes=5))
           for t in tickets[BREACHED:]]
    )
    return {"now": now, "due": due, "rule": rule, "tickets": tickets}


def _supervisors_and_heads(ticket):
    # The tickets are the province's: its supervisors are the nearest.
    sups = set(User.objects.filter(role="supervisor", org_unit_id=ticket.org_unit_id).values_list("id", flat=True))
    heads = set(User.objects.filter(role="dept_head", department__code="billing").values_list("id", flat=True))
    return sups, heads


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_act_on_each_clock_once(many_due):
    now, due = many_due["now"], many_due["due"]
    env = _child_env(now, batch=50)
    procs = [_spawn([sys.executable, "-c", CHILD], env) for _ in range(2)]
    for p in procs:  # both set up and connected...
        assert p.stdout.readline().strip() == "ready", p.stderr.read()[-3000:]
    for p in procs:  # ...then both go at once
        p.stdin.write("go\n")
        p.stdin.flush()
    results = [json.loads(out.strip().splitlines()[-1]) for out in _finish(procs)]

    assert sum(r["breached"] for r in results) == BREACHED
    assert sum(r["escalated"] for r in results) == BREACHED
    assert sum(r["warned"] for r in results) == BREACHED + WARN_ONLY
    assert all(r["breached"] > 0 for r in results), results  # the work was shared...
    a, b = results
    assert a["started"] < b["ended"] and b["started"] < a["ended"], results  # ...at the same time

    clocks = TicketClock.objects.filter(rule=many_due["rule"])
    breached = clocks.filter(due_at=due)
    assert breached.count() == BREACHED
    assert set(breached.values_list("escalation_level", "breached_at", "next_escalation_at").distinct()) == {
        (2, now, due + dt.timedelta(minutes=100000))}
    assert clocks.filter(warned_at=now).count() == BREACHED + WARN_ONLY
    assert LedgerEntry.objects.count() == BREACHED
    assert LedgerEntry.objects.values("clock_id").distinct().count() == BREACHED
    assert set(LedgerEntry.objects.values_list("level", flat=True).distinct()) == {2}
    assert CaseDossier.objects.count() == BREACHED

    sups, heads = _supervisors_and_heads(many_due["tickets"][0])
    assert sups and heads
    breach_msgs = Message.objects.filter(template="clock_breached")
    level_msgs = Message.objects.filter(template="escalated")
    warn_msgs = Message.objects.filter(template="clock_warning")
    assert breach_msgs.count() == BREACHED * len(sups)
    assert set(breach_msgs.values_list("recipient_user_id", flat=True).distinct()) == sups
    assert level_msgs.count() == BREACHED * len(heads)
    assert set(level_msgs.values_list("recipient_user_id", flat=True).distinct()) == heads
    # the warnings of clocks not yet due go to the billing handlers (no lead assignee)
    handlers = User.objects.filter(role="handler", department__code="billing").count()
    assert warn_msgs.count() == WARN_ONLY * handlers
    for qs in (breach_msgs, level_msgs, warn_msgs):
        pairs = list(qs.values_list("recipient_user_id", "dedupe_key"))
        assert len(pairs) == len(set(pairs))
    assert not Message.objects.exclude(status="sent").exists()  # in-app: rendered and delivered


@pytest.mark.django_db(transaction=True)
def test_two_sla_scan_commands_at_once(many_due):
    """The same with the management command cron or an operator would run."""
    now = many_due["now"]
    env = _child_env(now, batch=100)
    argv = [sys.executable, "-m", "complaintdesk", "sla_scan", "--once", "--json", "--no-outbox",
            f"--now={now.isoformat()}", "--batch=100"]
    procs = [_spawn(argv, env) for _ in range(2)]
    started = time.monotonic()
    results = [json.loads(out.strip().splitlines()[-1]) for out in _finish(procs)]
    assert sum(r["breached"] for r in results) == BREACHED, results
    assert sum(r["escalated"] for r in results) == BREACHED, results
    assert LedgerEntry.objects.count() == CaseDossier.objects.count() == BREACHED
    sups, heads = _supervisors_and_heads(many_due["tickets"][0])
    assert Message.objects.filter(template="clock_breached").count() == BREACHED * len(sups)
    assert Message.objects.filter(template="escalated").count() == BREACHED * len(heads)
    assert time.monotonic() - started < 240
