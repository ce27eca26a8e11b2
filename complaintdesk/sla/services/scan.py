"""The deadline scan: warnings, breaches and escalations of running clocks.

`sla_scan(now=...)` runs three phases, each an index range query on its own partial index of
`TicketClock` (see the model): clocks past their warning point, clocks past their deadline,
and breached clocks whose next escalation level is due. With nothing due the scan costs three
index probes and writes nothing, whatever the number of open tickets.

What each phase does (domain.md "Deadlines and escalation"):

* warn — the assignee is told (the ticket's lead assignee; else the handlers of the lead
  department; else the ticket's owner, the first-contact person); the ticket turns "at risk".
* breach — the clock is marked breached at escalation level 1, the ticket turns "overdue",
  the people of the ladder's first step (the supervisor: role supervisor in the ticket's org
  unit or, failing that, the nearest unit up the tree) are told, the clock is entered in the
  complaint ledger and a case dossier is opened; the next level is scheduled.
* escalate — the next level of the clock rule's ladder: its people (department head, leader
  ...) are told, the ledger entry takes the new level, the level after is scheduled. A clock
  that is no longer running (met, missed, paused) escalates no further.

Safe with several workers at once (PostgreSQL) and idempotent: each batch is one transaction
that locks its clocks, then their tickets, with `SELECT … FOR UPDATE SKIP LOCKED` — rows
another worker (or a workflow transition) holds are skipped, never waited for, so two
workers never act on one clock and the scan never deadlocks with a transition. The updates
are conditional on the state the rows were read in, the ledger has one entry per clock
(one-to-one) and every message has a dedupe key. On SQLite the transaction is BEGIN
IMMEDIATE, which serialises writers the same way.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Case, DateTimeField, Exists, OuterRef, QuerySet, Value, When
from django.utils import timezone

from complaintdesk.notifications.services import (
    outbox_requeue_stale,
    outbox_send_due,
    staff_notify_many,
)
from complaintdesk.sla.models import ClockRule, TicketClock
from complaintdesk.sla.services.ledger import ledger_enter_breaches, ledger_levels_update
from complaintdesk.sla.services.people import People
from complaintdesk.sla.vocabulary import ClockState, EscalationTarget, SlaStatus
from complaintdesk.tickets.models import Ticket

log = logging.getLogger(__name__)

IN_APP = "in_app"
DEFAULT_BATCH = 500
# SQLite: a batch holds the database's only write lock, which the web requests wait for;
# smaller batches keep each hold short.
SQLITE_BATCH = 100
# A send round stops after this many messages so that a long backlog does not hold the
# worker past the next minute's round (which goes on where this one stopped).
OUTBOX_ROUND_LIMIT = 5000
OUTBOX_BATCH = 100
# The breach itself is level 1 and tells the supervisor, whatever the rule says after it.
BREACH_STEP = (0, EscalationTarget.SUPERVISOR)
TICKET_RELATED = ("category", "org_unit", "owner", "lead_department", "lead_assignee", "customer")


@dataclass
class ScanResult:
    warned: int = 0
    breached: int = 0
    escalated: int = 0

    @property
    def total(self) -> int:
        return self.warned + self.breached + self.escalated


# --- the ladder ------------------------------------------------------------------------------


def ladder_steps(ladder) -> list[tuple[int, EscalationTarget]]:
    """The rule's ladder as [(minutes after the deadline, whom to notify)]: step i is
    escalation level i + 1. The first step is the breach (level 1, at the deadline): when the
    ladder does not start at 0 minutes, the supervisor step is put first. Malformed steps
    (the admin validates, but JSON is JSON) are left out."""
    steps = []
    for item in ladder if isinstance(ladder, list) else []:
        if not isinstance(item, dict):
            continue
        try:
            minutes = int(item.get("after_minutes", 0))
            target = EscalationTarget(item.get("notify"))
        except (TypeError, ValueError):
            continue
        steps.append((max(0, minutes), target))
    if not steps or steps[0][0] > 0:
        steps.insert(0, BREACH_STEP)
    return steps


def escalation_next_at(*, due_at: dt.datetime | None, level: int, ladder) -> dt.datetime | None:
    """When a clock breached at `due_at` and now at `level` escalates next (None: the ladder
    ends there). For the clock engine too: a breached clock that resumes running after a pause
    gets `next_escalation_at = escalation_next_at(...)` back."""
    steps = ladder_steps(ladder)
    if due_at is None or level >= len(steps):
        return None
    return due_at + dt.timedelta(minutes=steps[level][0])


# --- the scan --------------------------------------------------------------------------------


def warn_due(now: dt.datetime) -> QuerySet:
    # Matches the partial index clock_warn_due (its condition is repeated so the planner uses it).
    return TicketClock.objects.filter(
        state=ClockState.RUNNING, warned_at__isnull=True, warn_at__isnull=False, warn_at__lte=now,
    ).order_by("warn_at")


def breach_due(now: dt.datetime) -> QuerySet:
    # Matches the partial index clock_breach_due.
    return TicketClock.objects.filter(
        state=ClockState.RUNNING, breached_at__isnull=True, due_at__isnull=False, due_at__lte=now,
    ).order_by("due_at")


def escalation_due(now: dt.datetime) -> QuerySet:
    # Matches the partial index clock_escalation_due.
    return TicketClock.objects.filter(
        next_escalation_at__isnull=False, next_escalation_at__lte=now,
    ).order_by("next_escalation_at")


def sla_scan(*, now: dt.datetime, batch: int = DEFAULT_BATCH) -> ScanResult:
    """Act on every warning, breach and escalation due at `now`. Returns how many clocks were
    warned, breached and escalated by this call (another worker's share is not counted)."""
    rules = _RuleCache()
    if connection.vendor == "sqlite":
        batch = min(batch, SQLITE_BATCH)
    return ScanResult(
        warned=_phase(warn_due, _warn_batch, now=now, batch=batch, rules=rules),
        breached=_phase(breach_due, _breach_batch, now=now, batch=batch, rules=rules),
        escalated=_phase(escalation_due, _escalate_batch, now=now, batch=batch, rules=rules),
    )


def deadlines_round(now: dt.datetime | None = None, *, batch: int = DEFAULT_BATCH,
                    outbox: bool = True) -> dict:
    """The periodic job: the scan, then the outbox (what the scan just queued goes out in the
    same round; in-app messages are delivered when queued). Returns what was done."""
    now = now or timezone.now()
    result = sla_scan(now=now, batch=batch)
    requeued = outbox_requeue_stale(now=now) if outbox else 0
    sent = 0
    while outbox and sent < OUTBOX_ROUND_LIMIT:
        n = outbox_send_due(now=max(now, timezone.now()), batch=OUTBOX_BATCH)
        sent += n
        if n < OUTBOX_BATCH:
            break
    done = {"warned": result.warned, "breached": result.breached, "escalated": result.escalated,
            "messages_requeued": requeued, "messages_attempted": sent}
    if result.total or sent or requeued:
        log.info("deadline round at %s: %s", now.isoformat(), done)
    return done


def _phase(due: Callable[[dt.datetime], QuerySet], act, *, now, batch, rules) -> int:
    # The probe runs outside a transaction: with nothing due, no transaction is opened (on
    # SQLite, BEGIN IMMEDIATE would take the write lock for nothing).
    if not due(now).exists():
        return 0
    done = 0
    while True:
        with transaction.atomic():
            clocks = list(_locked(due(now))[:batch])
            if not clocks:
                break
            tickets = _lock_tickets({c.ticket_id for c in clocks})
            # A ticket held by a transition right now: its clocks wait for the next batch or scan.
            clocks = [c for c in clocks if c.ticket_id in tickets]
            if not clocks:
                break
            done += act(clocks, tickets, now=now, rules=rules)
    return done


def _locked(qs: QuerySet) -> QuerySet:
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True, of=("self",))
    return qs  # SQLite: the IMMEDIATE transaction already holds the database's write lock


def _lock_tickets(ids: set[int]) -> dict[int, Ticket]:
    qs = Ticket.objects.filter(pk__in=ids).select_related(*TICKET_RELATED)
    return {t.pk: t for t in _locked(qs)}


class _RuleCache:
    """The ladders of the rules a scan meets: a few rules serve millions of clocks."""

    def __init__(self):
        self.ladders: dict[int, list] = {}
        self._steps: dict[int | None, list[tuple[int, EscalationTarget]]] = {}

    def steps(self, clock: TicketClock) -> list[tuple[int, EscalationTarget]]:
        own = clock.rule_id is None and (clock.explanation or {}).get("own")
        if own:  # a regulator's deadline: the ladder its profile gave, kept on the clock
            return ladder_steps(own.get("ladder") or [])
        steps = self._steps.get(clock.rule_id)
        if steps is None:
            steps = self._steps[clock.rule_id] = ladder_steps(self.ladders.get(clock.rule_id, []))
        return steps

    def load(self, clocks: Iterable[TicketClock]) -> None:
        missing = {c.rule_id for c in clocks if c.rule_id and c.rule_id not in self.ladders}
        if missing:
            for rule_id, ladder in ClockRule.objects.filter(pk__in=missing).values_list("id", "ladder"):
                self.ladders[rule_id] = ladder
            for rule_id in missing - set(self.ladders):
                self.ladders[rule_id] = []  # deleted meanwhile: the default ladder


# --- the phases ------------------------------------------------------------------------------


def _warn_batch(clocks: list[TicketClock], tickets: dict[int, Ticket], *, now, rules) -> int:
    TicketClock.objects.filter(pk__in=[c.pk for c in clocks], warned_at__isnull=True).update(warned_at=now)
    people = People.load(tickets.values(), targets={EscalationTarget.ASSIGNEE})
    outgoing = []
    for clock in clocks:
        if clock.due_at is None or clock.due_at <= now:
            continue  # already past its deadline: the breach, in this same scan, says more
        ticket = tickets[clock.ticket_id]
        outgoing += [
            {"dedupe_key": f"clock:{clock.pk}:warn:{user.pk}:{_stamp(clock)}", "template": "clock_warning",
             "recipient_user": user,
             "context": {"ticket_number": str(ticket), "ticket_id": ticket.pk, "clock": clock.clock, "due_at": clock.due_at,
                         "time_left": clock.due_at - now}}
            for user in people.of(EscalationTarget.ASSIGNEE, ticket)
        ]
    _tickets_sla_status_refresh(list(tickets), now=now)
    _enqueue(outgoing)
    return len(clocks)


def _breach_batch(clocks: list[TicketClock], tickets: dict[int, Ticket], *, now, rules) -> int:
    rules.load(clocks)
    next_at = {}
    for clock in clocks:
        clock.escalation_level = 1
        steps = rules.steps(clock)
        next_at[clock.pk] = clock.due_at + dt.timedelta(minutes=steps[1][0]) if len(steps) > 1 else None
    TicketClock.objects.filter(pk__in=list(next_at), breached_at__isnull=True).update(
        breached_at=now, escalation_level=1, next_escalation_at=_per_clock(next_at),
    )
    # What ticket_sla_status_refresh would say: each ticket has a running clock (this one,
    # locked) past its deadline.
    Ticket.objects.filter(pk__in=list(tickets)).exclude(sla_status=SlaStatus.OVERDUE).update(
        sla_status=SlaStatus.OVERDUE)
    first_targets = {rules.steps(c)[0][1] for c in clocks}
    people = People.load(tickets.values(), targets=first_targets)
    outgoing = []
    for clock in clocks:
        ticket = tickets[clock.ticket_id]
        outgoing += [
            {"dedupe_key": f"clock:{clock.pk}:breach:{user.pk}:{_stamp(clock)}", "template": "clock_breached",
             "recipient_user": user,
             "context": {"ticket_number": str(ticket), "ticket_id": ticket.pk, "clock": clock.clock, "due_at": clock.due_at,
                         "overdue": now - clock.due_at}}
            for user in people.of(rules.steps(clock)[0][1], ticket)
        ]
    ledger_enter_breaches(breaches=[(c, tickets[c.ticket_id]) for c in clocks], now=now)
    _enqueue(outgoing)
    return len(clocks)


def _escalate_batch(clocks: list[TicketClock], tickets: dict[int, Ticket], *, now, rules) -> int:
    rules.load(clocks)
    ended, raised = [], []  # ended: escalates no further; raised: (clock, level, target, next at)
    for clock in clocks:
        steps = rules.steps(clock)
        level = clock.escalation_level + 1
        if clock.state != ClockState.RUNNING or clock.due_at is None or level > len(steps):
            ended.append(clock.pk)
            continue
        nxt = clock.due_at + dt.timedelta(minutes=steps[level][0]) if level < len(steps) else None
        raised.append((clock, level, steps[level - 1][1], nxt))
    if ended:
        TicketClock.objects.filter(pk__in=ended).update(next_escalation_at=None)
    if not raised:
        return 0
    by_old_level: dict[int, list[int]] = defaultdict(list)
    for clock, _level, _target, _nxt in raised:
        by_old_level[clock.escalation_level].append(clock.pk)
    next_at = {clock.pk: nxt for clock, _level, _target, nxt in raised}
    for old_level, ids in by_old_level.items():
        TicketClock.objects.filter(pk__in=ids, escalation_level=old_level).update(
            escalation_level=old_level + 1,
            next_escalation_at=_per_clock({pk: next_at[pk] for pk in ids}),
        )
    ledger_levels_update(levels={clock.pk: level for clock, level, _t, _n in raised})
    people = People.load(tickets.values(), targets={target for _c, _l, target, _n in raised})
    outgoing = []
    for clock, level, target, _nxt in raised:
        ticket = tickets[clock.ticket_id]
        outgoing += [
            {"dedupe_key": f"clock:{clock.pk}:level:{level}:{user.pk}:{_stamp(clock)}", "template": "escalated",
             "recipient_user": user,
             "context": {"ticket_number": str(ticket), "ticket_id": ticket.pk, "clock": clock.clock, "due_at": clock.due_at,
                         "level": level, "target": str(target), "overdue": now - clock.due_at}}
            for user in people.of(target, ticket)
        ]
    _enqueue(outgoing)
    return len(raised)


def _stamp(clock: TicketClock) -> int:
    """The deadline in the dedupe keys: a scan that runs again for the same deadline adds
    nothing, but a clock that got a fresh deadline (a later agreed time) and misses that one
    too is news again."""
    return int(clock.due_at.timestamp()) if clock.due_at else 0


def _enqueue(outgoing: list[dict]) -> None:
    """The batch's messages into the outbox, in the batch's transaction (they exist if and
    only if the batch commits). Staff are told by the channels they chose (in-app unless they
    chose more); the dedupe key makes a repeat a no-op."""
    staff_notify_many(outgoing)


def _per_clock(values: dict[int, dt.datetime | None]):
    """One value per clock id in one UPDATE (a CASE), or the shared value when all are equal."""
    distinct = set(values.values())
    if len(distinct) == 1:
        return Value(distinct.pop(), output_field=DateTimeField())
    return Case(*(When(pk=pk, then=Value(v, output_field=DateTimeField())) for pk, v in values.items()),
                default=Value(None, output_field=DateTimeField()), output_field=DateTimeField())


def _tickets_sla_status_refresh(ticket_ids: list[int], *, now: dt.datetime) -> int:
    """`ticket_sla_status_refresh` for a batch of tickets in one UPDATE: overdue if a running
    clock is past its deadline, at risk if one is past its warning point, else on time."""
    running = TicketClock.objects.filter(ticket_id=OuterRef("pk"), state=ClockState.RUNNING)
    status = Case(
        When(Exists(running.filter(due_at__lte=now)), then=Value(SlaStatus.OVERDUE.value)),
        When(Exists(running.filter(warn_at__lte=now)), then=Value(SlaStatus.AT_RISK.value)),
        default=Value(SlaStatus.OK.value),
    )
    return Ticket.objects.filter(pk__in=ticket_ids).update(sla_status=status)


# --- who is told -----------------------------------------------------------------------------
