"""The clock engine: each workflow event starts, stops, pauses, resumes or moves the clocks of
the ticket's current cycle (cycle = ticket.reopen_count).

Called inside the event's own transaction, after its TicketEvent is written, by
tickets/services/transitions.py (`_transition`) and intake.py (`ticket_register`), through one
entry point, `clocks_on_event`. Per event: one query loads (and locks) the clocks, at most one
inserts new ones, at most one updates the changed ones, at most one updates the ticket's
deadline status. Rules and calendars come from per-process caches (policies.py, calendars.py).

The rules, event by event (domain.md "Deadlines and escalation"):

- registered: DISPATCH and TICKET start (TICKET from the first report: 001 counts from it).
- dispatched, the first time in the cycle: DISPATCH stops; ACKNOWLEDGE, HANDLE and PROGRESS
  start on the lead department's calendar. A later dispatch (after a return) restarts only
  ACKNOWLEDGE, for the new department; so does a transfer. HANDLE keeps its deadline.
- acknowledged, returned: ACKNOWLEDGE stops.
- handled (not partially): HANDLE stops, met or missed. On the short path (no audit) PROGRESS
  stops and REPLY starts.
- audit rejected: the same HANDLE clock runs again with its ORIGINAL deadline.
- audit approved (not a partial): PROGRESS stops, REPLY starts.
- replied: REPLY stops; CALLBACK starts where a callback follows.
- closed in any way (on the spot, invalid, callback, close, a sales lead's outcome): every
  running clock stops, TICKET included.
- reopened, or called back dissatisfied: a new cycle with new DISPATCH and TICKET clocks.
- info requested: every running clock of the cycle pauses (the ticket waits on the customer);
  info received: they resume, the deadline moved by the pause: new deadline = resume time +
  the time that was left, in the clock's own unit (open time on the calendar for working
  units, elapsed time for calendar units). A clock started while the ticket waits starts paused.
- progress reported: PROGRESS restarts for the next period.
- agreed time set: HANDLE is due at the agreed time (001: "以约定时间为准"); an agreed time is a
  point in time, so waiting on the customer does not move it.
- reviewed valid with a new severity or special flag: running clocks take the rule the ticket
  now matches (from their own start).

Own clocks (`OwnRule`): a clock whose rule does not come from a deadline policy but from its
caller — the transferring regulator's deadline (ClockType.REGULATOR, regulators/). It starts
at registration or when the source is set (SOURCE_SET), is counted again from its own start
when the caller extends it (REGULATOR_DEADLINE_EXTENDED), and stops when the customer is told
the result (REPLIED) or the ticket closes. It does NOT pause while the ticket waits on the
customer: the regulator counts from the transfer whatever we wait for. A SOURCE_SET without
one stops it (the ticket is no longer a transfer). The breach scan warns, breaches and
escalates it like any other clock, on the ladder its caller gave (`explanation.own.ladder`).

Every clock explains itself (TicketClock.explanation, stable keys): policy, rule, calendar,
start, pauses, agreed time, "kept_from" after an audit rejection, and whether the calendar is
missing (a deadline reaching into a year nobody entered: no deadline, the clock and the ticket
flagged, a warning logged; never counted as ordinary weekdays).

Escalation fields (warned_at, breached_at, escalation_level, next_escalation_at) belong to the
breach scan; this engine only clears them when a clock gets a fresh deadline (a restart, a
later agreed time) and stops escalation (next_escalation_at = None) while a clock is paused or
once it stops; a clock that runs again after a breach gets its next step back from the scan's
`escalation_next_at`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db import connections, router
from django.db.models.expressions import Col

from complaintdesk.sla.calendar import (
    DAY_UNITS,
    DayKind,
    Duration,
    Unit,
    WorkingCalendar,
    deadline,
    working_minutes_between,
)
from complaintdesk.sla.models import TicketClock
from complaintdesk.sla.services.calendars import (
    CalendarInfo,
    calendar_for_department,
    calendar_for_unit,
)
from complaintdesk.sla.services.ledger import ledger_resolve_for_ticket
from complaintdesk.sla.services.policies import (
    WORKING_UNITS,
    Choice,
    RuleSpec,
    rule_choice,
    rules_for_ticket,
)
from complaintdesk.sla.services.status import ticket_sla_status_refresh
from complaintdesk.sla.vocabulary import ClockState, ClockType
from complaintdesk.tickets.vocabulary import OPEN_STATES, EventType, State

log = logging.getLogger(__name__)

C = ClockType
LIVE = (ClockState.RUNNING, ClockState.PAUSED)
# Clocks of the ticket's org unit (the centre's part) and of the lead department.
DEPARTMENT_CLOCKS = frozenset({C.ACKNOWLEDGE, C.HANDLE, C.PROGRESS})
CLOCK_ORDER = {c: i for i, c in enumerate(ClockType)}
DEFAULT_WARN_SHARE = Decimal("0.8")
KEPT_AFTER_AUDIT = "original deadline kept after audit rejection"
_US = dt.timedelta(microseconds=1)
_FIELDS = ("rule", "state", "started_at", "due_at", "warn_at", "paused_at", "stopped_at",
           "calendar_missing", "explanation", "warned_at", "breached_at", "escalation_level",
           "next_escalation_at")


# -- the arithmetic (pure: calendar, rule and times in, times out) ---------------------------

@dataclass(frozen=True)
class Schedule:
    due: dt.datetime | None
    warn: dt.datetime | None
    missing_years: tuple[int, ...] = ()

    @property
    def calendar_missing(self) -> bool:
        return bool(self.missing_years)


def _measure(cal: WorkingCalendar, working: bool, a: dt.datetime, b: dt.datetime,
             years: set[int]) -> dt.timedelta | None:
    """Time from a to b that counts: open time for working units, elapsed for calendar units."""
    if not working:
        return b - a
    result = working_minutes_between(cal, a, b)
    if result.calendar_missing:
        years.update(result.missing_years)
        return None
    return result.delta


def _advance(cal: WorkingCalendar, working: bool, start: dt.datetime, amount: dt.timedelta,
             years: set[int]) -> dt.datetime | None:
    """The instant `amount` of counting time after start."""
    if not working:
        return start + amount
    minutes = Fraction(max(amount, dt.timedelta(0)) // _US, 60_000_000)
    result = deadline(cal, start, Duration(minutes, Unit.WORKING_MINUTES))
    if result.calendar_missing:
        years.update(result.missing_years)
        return None
    return result.at


def _shift(cal, working, point, paused_from, resumed_at, years):
    """A deadline moved by one pause: resume + what was left at the pause. A point already
    passed when the pause began stays where it was (waiting does not undo a breach)."""
    if point is None or point <= paused_from:
        return point
    left = _measure(cal, working, paused_from, point, years)
    return None if left is None else _advance(cal, working, resumed_at, left, years)


def _next_daily(cal: WorkingCalendar, at: dt.time, start: dt.datetime, earliest: dt.datetime,
                years: set[int]) -> dt.datetime | None:
    """The first `at` o'clock of a working day after start and not before earliest."""
    day = earliest.astimezone(cal.tz).date()
    for _ in range(400):
        candidate = dt.datetime.combine(day, at, tzinfo=cal.tz)
        if candidate > start and candidate >= earliest:
            kind = cal.day_kind(day)
            if kind is DayKind.UNKNOWN:
                years.add(day.year)
                return None
            if kind is DayKind.WORKDAY:
                return candidate
        day += dt.timedelta(days=1)
    return None


def base_deadline(cal: WorkingCalendar, rule: RuleSpec, start: dt.datetime,
                  years: set[int]) -> dt.datetime | None:
    result = deadline(cal, start, rule.duration)
    if result.calendar_missing:
        years.update(result.missing_years)
        return None
    if rule.daily_at is None:
        return result.at
    # A repeating report "daily by 17:00": the first 17:00 of a working day at least the
    # rule's amount after the start (0: the next 17:00).
    return _next_daily(cal, rule.daily_at, start, result.at, years)


def warn_point(cal, working, start, due, share, years):
    """start + share of the time to the deadline, counted like the clock counts."""
    if due is None:
        return None
    if due <= start or share >= 1:
        return due
    total = _measure(cal, working, start, due, years)
    if total is None:
        return None
    part = dt.timedelta(microseconds=int(Fraction(total // _US) * Fraction(share)))
    return _advance(cal, working, start, part, years)


def schedule(cal: WorkingCalendar, rule: RuleSpec | None, start: dt.datetime,
             pauses: list[tuple[dt.datetime, dt.datetime | None]] = (),
             agreed: dt.datetime | None = None) -> Schedule:
    """Deadline and warning point of a clock from its whole history: start, rule (or an agreed
    time, which wins and which pauses do not move), and the pauses so far."""
    years: set[int] = set()
    working = rule is not None and rule.working
    share = rule.warn_share if rule is not None else DEFAULT_WARN_SHARE
    if agreed is not None:
        due = agreed
    elif rule is not None:
        due = base_deadline(cal, rule, start, years)
    else:
        due = None
    warn = warn_point(cal, working, start, due, share, years)
    if agreed is None:
        for paused_from, resumed_at in pauses:
            if resumed_at is None:
                break
            due = _shift(cal, working, due, paused_from, resumed_at, years)
            warn = _shift(cal, working, warn, paused_from, resumed_at, years)
    if years:
        due = warn = None
    return Schedule(due, warn, tuple(sorted(years)))


# -- own clocks: a rule given by the caller (a regulator's deadline) -------------------------

@dataclass(frozen=True)
class OwnRule:
    """A clock's rule given by its caller instead of a deadline policy.

    `duration` counted from `start` on the ticket's org unit calendar, or `due_at` when the
    transferring body stated its deadline itself (that date wins, like an agreed time).
    `source` is kept in the clock's explanation (who set the rule and why: the regulator's
    profile, the matter, the extension); `ladder` is the escalation ladder after a breach."""

    clock: ClockType
    start: dt.datetime
    duration: Duration | None = None
    due_at: dt.datetime | None = None
    warn_share: Decimal = DEFAULT_WARN_SHARE
    ladder: tuple = ()
    source: dict | None = None

    @property
    def rule(self) -> RuleSpec | None:
        if self.duration is None:
            return None
        return RuleSpec(id=0, clock=self.clock, amount=Decimal(self.duration.amount), unit=self.duration.unit,
                        duration=self.duration, daily_at=None, warn_share=Decimal(self.warn_share),
                        ladder=tuple(self.ladder))

    def explain(self) -> dict:
        return {
            "amount": None if self.duration is None else int(self.duration.amount)
            if self.duration.unit in DAY_UNITS else str(self.duration.amount),
            "unit": None if self.duration is None else self.duration.unit.value,
            "due_at": None if self.due_at is None else self.due_at.isoformat(),
            "warn_share": str(self.warn_share), "ladder": list(self.ladder),
            "source": self.source or {},
        }

    @classmethod
    def from_explanation(cls, clock: ClockType, start: dt.datetime, own: dict) -> OwnRule:
        """The rule again from a clock's explanation (to recompute it: a calendar year entered)."""
        duration = None
        if own.get("unit") and own.get("amount") is not None:
            duration = Duration(Decimal(str(own["amount"])), own["unit"])
        return cls(clock=clock, start=start, duration=duration, due_at=_parse(own.get("due_at")),
                   warn_share=Decimal(str(own.get("warn_share") or DEFAULT_WARN_SHARE)),
                   ladder=tuple(own.get("ladder") or ()), source=own.get("source") or {})


def own_schedule(*, org_unit_id: int | None, own: OwnRule) -> Schedule:
    """The deadline an own clock of a ticket of this org unit gets (no query once the calendars
    are cached): for the caller to show it or keep it on the ticket before the clock exists."""
    info = calendar_for_unit(org_unit_id)
    return schedule(info.calendar, own.rule, own.start, (), own.due_at)


def _iso(t: dt.datetime | None, tz) -> str | None:
    return None if t is None else t.astimezone(tz).isoformat()


def _parse(text: str | None) -> dt.datetime | None:
    return None if not text else dt.datetime.fromisoformat(text)


# -- the engine ------------------------------------------------------------------------------

class _Engine:
    def __init__(self, ticket, at: dt.datetime, clocks: list[TicketClock],
                 own: dict[ClockType, OwnRule] | None = None):
        self.ticket = ticket
        self.own = own or {}
        self.at = at
        self.cycle = ticket.reopen_count
        self.rows = clocks
        self.new: list[TicketClock] = []
        self.dirty: dict[int, tuple[TicketClock, set[str]]] = {}
        self._rules: dict[ClockType, Choice] | None = None

    # -- lookups --

    @property
    def rules(self) -> dict[ClockType, Choice]:
        if self._rules is None:
            self._rules = rules_for_ticket(self.ticket)
        return self._rules

    def row(self, clock: ClockType) -> TicketClock | None:
        return next((r for r in self.rows if r.clock == clock and r.cycle == self.cycle), None)

    def live(self, *, any_cycle: bool = False) -> list[TicketClock]:
        return [r for r in self.rows if r.state in LIVE and (any_cycle or r.cycle == self.cycle)]

    def calendar_of(self, row: TicketClock) -> CalendarInfo:
        unit = (row.explanation.get("calendar") or {}).get("org_unit") or {}
        return calendar_for_unit(unit.get("id"))

    def calendar_for(self, clock: ClockType) -> CalendarInfo:
        if clock in DEPARTMENT_CLOCKS:
            info = calendar_for_department(self.ticket.lead_department_id)
            if info is not None:
                return info
        return calendar_for_unit(self.ticket.org_unit_id)

    def touch(self, row: TicketClock, *fields: str):
        if row.pk is None:
            return  # a new row is inserted whole
        entry = self.dirty.setdefault(id(row), (row, set()))
        entry[1].update(fields)

    def agreed_for(self, clock: ClockType) -> dt.datetime | None:
        return self.ticket.agreed_time if clock == C.HANDLE else None

    # -- operations --

    def start(self, clock: ClockType, start: dt.datetime | None = None, basis: str = "event"):
        """Start a clock, or restart it (the same row: one per clock and cycle)."""
        choice = self.rules.get(clock)
        agreed = self.agreed_for(clock)
        if choice is None and agreed is None:
            return None
        start = start or self.at
        info = self.calendar_for(clock)
        row = self.row(clock)
        restarts = 0
        if row is None:
            row = TicketClock(ticket_id=self.ticket.pk, clock=clock, cycle=self.cycle)
            self.rows.append(row)
            self.new.append(row)
        else:
            restarts = int(row.explanation.get("restarts", 0)) + 1
            self.touch(row, *_FIELDS)
        rule = choice.rule if choice is not None else None
        tz = info.calendar.tz
        row.rule_id = rule.id if rule else None
        row.state = ClockState.RUNNING
        row.started_at = start
        row.paused_at = row.stopped_at = None
        row.warned_at = row.breached_at = row.next_escalation_at = None
        row.escalation_level = 0
        row.explanation = {
            "policy": choice.policy.explain() if choice else None,
            "rule": rule.text if rule else None,
            "unit": rule.unit.value if rule else None,
            "calendar": info.explain(),
            "start": _iso(start, tz),
            "start_basis": basis,
            "pauses": [],
            "agreed_time": _iso(agreed, tz),
            "kept_from": None,
            "restarts": restarts,
            "calendar_missing": False,
            "missing_years": [],
        }
        self._set_schedule(row, schedule(info.calendar, rule, start, (), agreed))
        if self.ticket.waiting_on_customer:
            self.pause(row)
        return row

    def _set_schedule(self, row: TicketClock, plan: Schedule):
        row.due_at, row.warn_at = plan.due, plan.warn
        row.calendar_missing = plan.calendar_missing
        row.explanation["calendar_missing"] = plan.calendar_missing
        row.explanation["missing_years"] = list(plan.missing_years)
        self.touch(row, "due_at", "warn_at", "calendar_missing", "explanation")
        if plan.calendar_missing:
            log.warning(
                "ticket %s: the %s clock has no deadline: no working calendar for %s (enter the "
                "year's holidays and make-up working days in the admin)",
                self.ticket.number or self.ticket.pk, row.clock,
                ", ".join(map(str, plan.missing_years)),
            )

    def start_own(self, own: OwnRule):
        """Start an own clock, or count it again from its start with a new rule (an
        extension): the same row of the cycle. Own clocks do not wait on the customer."""
        info = calendar_for_unit(self.ticket.org_unit_id)
        row = self.row(own.clock)
        restarts = 0
        if row is None:
            row = TicketClock(ticket_id=self.ticket.pk, clock=own.clock, cycle=self.cycle)
            self.rows.append(row)
            self.new.append(row)
        else:
            restarts = int(row.explanation.get("restarts", 0)) + 1
            self.touch(row, *_FIELDS)
        rule = own.rule
        tz = info.calendar.tz
        row.rule_id = None
        row.state = ClockState.RUNNING
        row.started_at = own.start
        row.paused_at = row.stopped_at = None
        row.warned_at = row.breached_at = row.next_escalation_at = None
        row.escalation_level = 0
        row.explanation = {
            "policy": None,
            "rule": rule.text if rule else None,
            "unit": rule.unit.value if rule else None,
            "calendar": info.explain(),
            "start": _iso(own.start, tz),
            "start_basis": "transfer",
            "pauses": [],
            "agreed_time": None,
            "kept_from": None,
            "restarts": restarts,
            "calendar_missing": False,
            "missing_years": [],
            "own": own.explain(),
        }
        # A transfer registered after its deadline starts past it: the scan breaches it at its
        # next round, like any clock past its deadline.
        self._set_schedule(row, schedule(info.calendar, rule, own.start, (), own.due_at))
        return row

    def recompute_own(self, row: TicketClock):
        own = OwnRule.from_explanation(ClockType(row.clock), row.started_at, row.explanation.get("own") or {})
        info = calendar_for_unit(self.ticket.org_unit_id)
        row.explanation["calendar"] = info.explain()
        self._set_schedule(row, schedule(info.calendar, own.rule, row.started_at, (), own.due_at))
        self._fresh_deadline(row)

    def stop(self, row: TicketClock | None):
        if row is None or row.state not in LIVE:
            return
        end = self.at
        if row.state == ClockState.PAUSED:
            end = row.paused_at or self.at
            self._close_pause(row)
            self.touch(row, "explanation")
        row.state = ClockState.MET if row.due_at is None or end <= row.due_at else ClockState.MISSED
        row.stopped_at = self.at
        row.paused_at = row.next_escalation_at = None
        self.touch(row, "state", "stopped_at", "paused_at", "next_escalation_at")

    def pause(self, row: TicketClock):
        if row.state != ClockState.RUNNING:
            return
        row.state = ClockState.PAUSED
        row.paused_at = self.at
        row.next_escalation_at = None
        row.explanation.setdefault("pauses", []).append(
            {"from": _iso(self.at, self.calendar_of(row).calendar.tz), "to": None})
        self.touch(row, "state", "paused_at", "next_escalation_at", "explanation")

    def _close_pause(self, row: TicketClock):
        pauses = row.explanation.setdefault("pauses", [])
        if pauses and pauses[-1].get("to") is None:
            pauses[-1]["to"] = _iso(self.at, self.calendar_of(row).calendar.tz)

    def resume(self, row: TicketClock):
        if row.state != ClockState.PAUSED:
            return
        paused_from = row.paused_at or self.at
        self._close_pause(row)
        info = self.calendar_of(row)
        if row.explanation.get("agreed_time") is None:
            years: set[int] = set()
            working = row.explanation.get("unit") in WORKING_UNITS
            due = _shift(info.calendar, working, row.due_at, paused_from, self.at, years)
            warn = _shift(info.calendar, working, row.warn_at, paused_from, self.at, years)
            if row.due_at is not None:  # a clock without a deadline stays without one
                self._set_schedule(row, Schedule(due if not years else None, warn if not years else None,
                                                 tuple(sorted(years))))
        row.state = ClockState.RUNNING
        row.paused_at = None
        self._continue_escalation(row)
        self.touch(row, "state", "paused_at", "explanation")

    def _continue_escalation(self, row: TicketClock):
        """A breached clock running again climbs its ladder on from where it stopped."""
        if row.breached_at is not None:
            # Imported here: the scan sits above the notifications, which read tickets.
            from complaintdesk.sla.services.scan import escalation_next_at

            choice = rule_choice(row.rule_id)
            ladder = list(choice.rule.ladder) if choice else []
            row.next_escalation_at = escalation_next_at(due_at=row.due_at, level=row.escalation_level,
                                                        ladder=ladder)
            self.touch(row, "next_escalation_at")

    def _fresh_deadline(self, row: TicketClock):
        """The deadline moved later: earlier warnings and breaches no longer hold."""
        if row.due_at is not None and row.due_at > self.at:
            row.breached_at = row.next_escalation_at = None
            row.escalation_level = 0
        if row.warn_at is not None and row.warn_at > self.at:
            row.warned_at = None
        self.touch(row, "breached_at", "next_escalation_at", "escalation_level", "warned_at")

    def handle_again(self):
        """Audit rejected: the handling clock runs again, due when it was due."""
        row = self.row(C.HANDLE)
        if row is None or row.state in LIVE:
            return  # no handling clock, or a partial handling: still running
        row.state = ClockState.RUNNING
        row.stopped_at = None
        row.explanation["kept_from"] = KEPT_AFTER_AUDIT
        self.touch(row, "state", "stopped_at", "explanation")
        agreed = self.ticket.agreed_time
        if agreed is not None and _parse(row.explanation.get("agreed_time")) != agreed:
            self.apply_agreed(row, agreed)
        else:
            self._continue_escalation(row)
        if self.ticket.waiting_on_customer:
            self.pause(row)

    def apply_agreed(self, row: TicketClock | None = None, agreed: dt.datetime | None = None):
        agreed = agreed or self.ticket.agreed_time
        row = row or self.row(C.HANDLE)
        if agreed is None:
            return
        if row is None:
            # No handling rule: the agreed time is a handling deadline of its own, once the
            # ticket is with a department.
            if self.ticket.lead_department_id is not None:
                self.start(C.HANDLE)
            return
        if row.state not in LIVE:
            return
        info = self.calendar_of(row)
        choice = rule_choice(row.rule_id)
        rule = choice.rule if choice else None
        row.explanation["agreed_time"] = _iso(agreed, info.calendar.tz)
        years: set[int] = set()
        share = rule.warn_share if rule else DEFAULT_WARN_SHARE
        warn = warn_point(info.calendar, bool(rule and rule.working), row.started_at, agreed, share, years)
        self._set_schedule(row, Schedule(agreed, warn if not years else None, ()))
        self._fresh_deadline(row)

    def repick(self):
        """Severity or the special flag changed at review: running clocks take the rule the
        ticket now matches, counted from their own start with their own pauses."""
        for row in self.live():
            if row.explanation.get("own"):
                continue  # its rule is its caller's
            choice = self.rules.get(ClockType(row.clock))
            if choice is None or choice.rule.id == row.rule_id:
                continue
            info = self.calendar_of(row)
            row.rule_id = choice.rule.id
            row.explanation.update(policy=choice.policy.explain(), rule=choice.rule.text,
                                   unit=choice.rule.unit.value)
            self.touch(row, "rule", "explanation")
            self.recompute(row, info, choice.rule)

    def recompute(self, row: TicketClock, info: CalendarInfo, rule: RuleSpec | None):
        """The deadline again from the clock's own history, on today's calendar and rule."""
        row.explanation["calendar"] = info.explain()
        if rule is not None:
            row.explanation.update(rule=rule.text, unit=rule.unit.value)
        pauses = [(_parse(p.get("from")), _parse(p.get("to"))) for p in row.explanation.get("pauses", [])]
        agreed = _parse(row.explanation.get("agreed_time"))
        self._set_schedule(row, schedule(info.calendar, rule, row.started_at, pauses, agreed))
        self._fresh_deadline(row)

    # -- the events --

    def run(self, event: EventType, to_state: State | None, payload: dict):
        E = EventType
        for row in self.live(any_cycle=True):
            if row.cycle != self.cycle:
                self.stop(row)  # reopened: the old cycle's clocks end here
        if event in (E.REGISTERED, E.REOPENED) or (
            event == E.CALLED_BACK and to_state in OPEN_STATES
        ):
            first = event == E.REGISTERED and self.cycle == 0
            self.start(C.DISPATCH)
            reported = self.ticket.first_reported_at
            if first and reported is not None and reported < self.at:
                self.start(C.TICKET, start=reported, basis="first_report")
            else:
                self.start(C.TICKET)
            if event == E.REGISTERED:
                for own in self.own.values():
                    self.start_own(own)
        elif event == E.DISPATCHED:
            self.stop(self.row(C.DISPATCH))
            if any(self.row(c) is not None for c in DEPARTMENT_CLOCKS):
                self.start(C.ACKNOWLEDGE)  # again, after a return
            else:
                for clock in (C.ACKNOWLEDGE, C.HANDLE, C.PROGRESS):
                    self.start(clock)
        elif event == E.TRANSFERRED:
            self.start(C.ACKNOWLEDGE)
        elif event in (E.ACKNOWLEDGED, E.RETURNED):
            self.stop(self.row(C.ACKNOWLEDGE))
        elif event == E.HANDLED:
            if not payload.get("partial"):
                self.stop(self.row(C.HANDLE))
                if to_state == State.AWAITING_REPLY:  # the short path: no audit
                    self.stop(self.row(C.PROGRESS))
                    self.start(C.REPLY)
        elif event == E.AUDIT_APPROVED:
            if to_state == State.AWAITING_REPLY:
                self.stop(self.row(C.PROGRESS))
                self.start(C.REPLY)
        elif event == E.AUDIT_REJECTED:
            self.handle_again()
        elif event == E.REPLIED:
            self.stop(self.row(C.REPLY))
            self.stop(self.row(C.REGULATOR))  # the customer is told the result
            if to_state == State.AWAITING_CALLBACK:
                self.start(C.CALLBACK)
        elif event == E.INFO_REQUESTED:
            for row in self.live():
                if not row.explanation.get("own"):  # the regulator does not wait with us
                    self.pause(row)
        elif event == E.INFO_RECEIVED:
            for row in self.live():
                self.resume(row)
        elif event == E.PROGRESS_REPORTED:
            row = self.row(C.PROGRESS)
            if row is None or row.state in LIVE:
                self.start(C.PROGRESS)
        elif event == E.AGREED_TIME_SET:
            self.apply_agreed()
        elif event in (E.SOURCE_SET, E.REGULATOR_DEADLINE_EXTENDED):
            own = self.own.get(C.REGULATOR)
            if own is not None:
                self.start_own(own)
            elif event == E.SOURCE_SET:
                self.stop(self.row(C.REGULATOR))  # no longer a regulator's transfer
        elif event == E.REVIEWED_VALID and ("severity" in payload or "special" in payload):
            self.repick()
        if to_state is not None and to_state not in OPEN_STATES:
            for row in self.live(any_cycle=True):
                self.stop(row)

    def save(self):
        if self.new:
            _store.insert(self.new)
        changes = [(row, fields) for row, fields in self.dirty.values() if row.pk is not None and fields]
        if changes:
            _store.update(changes)


class _ClockStore:
    """The engine's statements: load (and lock) a ticket's clocks, insert new ones, update
    changed ones. Every workflow event runs them, so they are built once per process from the
    model's fields, and rows go through the same converters and `get_db_prep_save` the ORM
    uses; building the querysets anew cost more than running them (measured on the demo load:
    ~1.3 ms of query building against ~0.4 ms of work per event)."""

    def __init__(self):
        self.vendor: str | None = None

    def connection(self):
        connection = connections[router.db_for_write(TicketClock)]
        if self.vendor != connection.vendor:
            self.prepare(connection)
        return connection

    def prepare(self, connection):
        meta = TicketClock._meta
        q = connection.ops.quote_name
        self.table = q(meta.db_table)
        self.fields = list(meta.concrete_fields)
        self.names = [f.attname for f in self.fields]
        self.by_name = {f.name: f for f in self.fields} | {f.attname: f for f in self.fields}
        self.converters = [
            connection.ops.get_db_converters(Col(meta.db_table, f)) + f.get_db_converters(connection)
            for f in self.fields
        ]
        columns = ", ".join(q(f.column) for f in self.fields)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        # Identifiers come from the model, quoted; every value is a parameter.
        ticket, state = q(meta.get_field("ticket").column), q(meta.get_field("state").column)
        self.select_head = (f"SELECT {columns} FROM {self.table} "  # noqa: S608
                            f"WHERE {ticket} = %s AND ({state} IN (%s, %s)")
        self.select_tail = lock
        self.select_sql = {}
        self.insert_fields = [f for f in self.fields if not f.primary_key]
        self.insert_sql = (
            f"INSERT INTO {self.table} ({', '.join(q(f.column) for f in self.insert_fields)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(self.insert_fields))})"
        )
        self.pk_column = q(meta.pk.column)
        self.quote = q
        self.column = {name: q(meta.get_field(name).column) for name in ("ticket", "cycle", "state", "clock")}
        self.vendor = connection.vendor

    def load(self, ticket_id: int, cycle: int, stopped: tuple[str, ...] = ()) -> list[TicketClock]:
        """The ticket's running and paused clocks, and its stopped ones of `cycle` among the
        clock types `stopped` (the event needs them: to restart one, or to know it ran)."""
        connection = self.connection()
        sql = self.select_sql.get(stopped)
        if sql is None:
            more = ""
            if stopped:
                more = (f" OR ({self.column['cycle']} = %s AND {self.column['clock']} IN "
                        f"({', '.join(['%s'] * len(stopped))}))")
            sql = self.select_sql[stopped] = f"{self.select_head}{more}){self.select_tail}"
        params = [ticket_id, *LIVE] + ([cycle, *stopped] if stopped else [])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        out = []
        for row in rows:
            values = []
            for field, converters, value in zip(self.fields, self.converters, row, strict=True):
                for convert in converters:
                    value = convert(value, field, connection)
                values.append(value)
            out.append(TicketClock.from_db(connection.alias, self.names, values))
        return out

    def insert(self, rows: list[TicketClock]):
        connection = self.connection()
        params = [[f.get_db_prep_save(getattr(r, f.attname), connection) for f in self.insert_fields]
                  for r in rows]
        with connection.cursor() as cursor:
            cursor.executemany(self.insert_sql, params)

    def update(self, changes: list[tuple[TicketClock, set[str]]]):
        """One UPDATE for every changed row: the same values set plainly, differing ones with
        CASE on the id (cast where the database asks, as Django's bulk_update does)."""
        connection = self.connection()
        names = sorted(set().union(*(fields for _, fields in changes)))
        pks = [row.pk for row, _ in changes]
        q = self.quote
        cast = connection.features.requires_casted_case_in_updates
        sets, params = [], []
        for name in names:
            field = self.by_name[name]
            column = q(field.column)
            values = [(row.pk, field.get_db_prep_save(getattr(row, field.attname), connection))
                      for row, fields in changes if name in fields]
            if len(values) == len(changes) and len({repr(v) for _, v in values}) == 1:
                sets.append(f"{column} = %s")
                params.append(values[0][1])
                continue
            placeholder = f"CAST(%s AS {field.db_type(connection)})" if cast else "%s"
            whens = " ".join(f"WHEN %s THEN {placeholder}" for _ in values)
            sets.append(f"{column} = CASE {self.pk_column} {whens} ELSE {column} END")
            for pk, value in values:
                params += [pk, value]
        sql = (f"UPDATE {self.table} SET {', '.join(sets)} "  # noqa: S608
               f"WHERE {self.pk_column} IN ({', '.join(['%s'] * len(pks))})")
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *pks])


_store = _ClockStore()


# Stopped clocks of the current cycle an event needs besides the running ones.
_DEPT = tuple(sorted(c.value for c in DEPARTMENT_CLOCKS))
_STOPPED_NEEDED: dict[EventType, tuple[str, ...]] = {
    EventType.DISPATCHED: _DEPT,  # a first dispatch of the cycle or a later one
    EventType.TRANSFERRED: (C.ACKNOWLEDGE.value,),
    EventType.AUDIT_REJECTED: (C.HANDLE.value,),
    EventType.AGREED_TIME_SET: (C.HANDLE.value,),
    EventType.PROGRESS_REPORTED: (C.PROGRESS.value,),
    EventType.SOURCE_SET: (C.REGULATOR.value,),
    EventType.REGULATOR_DEADLINE_EXTENDED: (C.REGULATOR.value,),
}


def clocks_on_event(*, ticket, event_type, from_state: str, to_state: str, at: dt.datetime,
                    payload: dict | None = None, store_status: bool = True,
                    own: dict[ClockType, OwnRule] | None = None) -> list[TicketClock]:
    """Apply one workflow event to the ticket's clocks; refresh its deadline status.

    Call inside the event's transaction, with the ticket row in memory as it is being saved
    (reopen_count, agreed_time, lead_department and waiting_on_customer already set) and its
    category loaded. `store_status=False`: the status is only set on `ticket`, whose caller
    saves it with the rest of the event's changes. `own`: clocks whose rule the caller gives
    (the regulator's deadline), started by REGISTERED, SOURCE_SET and
    REGULATOR_DEADLINE_EXTENDED. Returns the clocks the event looked at."""
    event = EventType(event_type)
    if event == EventType.REGISTERED or State(from_state) not in OPEN_STATES:
        # A new ticket has no clocks, and a closed one none running (closing stopped them;
        # a reopened one starts a new cycle): spare the query.
        clocks: list[TicketClock] = []
    else:
        clocks = _store.load(ticket.pk, ticket.reopen_count, _STOPPED_NEEDED.get(event, ()))
    engine = _Engine(ticket, at, clocks, own)
    engine.run(event, State(to_state) if to_state else None, payload or {})
    engine.save()
    if to_state and State(to_state) not in OPEN_STATES and State(from_state) in OPEN_STATES:
        # The ticket is closed: its entries in the complaint ledger are resolved now. A reopened
        # ticket that breaches again gets new entries (its clocks are a new cycle).
        ledger_resolve_for_ticket(ticket_id=ticket.pk, at=at)
    ticket_sla_status_refresh(ticket_id=ticket.pk, now=at, clocks=engine.rows, ticket=ticket,
                              store=store_status)
    return engine.rows


def clocks_recompute(*, ticket, at: dt.datetime, only_missing: bool = True) -> int:
    """Recompute the running clocks of a ticket from their history with today's calendars and
    rules (after the admin enters a missing year, say). Returns how many changed."""
    clocks = list(TicketClock.objects.select_for_update().filter(ticket_id=ticket.pk, state__in=LIVE))
    engine = _Engine(ticket, at, clocks)
    count = 0
    for row in clocks:
        if only_missing and not row.calendar_missing:
            continue
        if row.explanation.get("own"):
            before = (row.due_at, row.warn_at, row.calendar_missing)
            engine.recompute_own(row)
            count += before != (row.due_at, row.warn_at, row.calendar_missing)
            continue
        choice = rule_choice(row.rule_id)
        if choice is None and row.explanation.get("agreed_time") is None:
            continue
        before = (row.due_at, row.warn_at, row.calendar_missing)
        engine.recompute(row, engine.calendar_of(row), choice.rule if choice else None)
        count += before != (row.due_at, row.warn_at, row.calendar_missing)
    engine.save()
    ticket_sla_status_refresh(ticket_id=ticket.pk, now=at, clocks=clocks, ticket=ticket)
    return count


# -- reading ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClockView:
    clock: str
    cycle: int
    state: str
    started_at: dt.datetime
    due_at: dt.datetime | None
    warn_at: dt.datetime | None
    paused_at: dt.datetime | None
    stopped_at: dt.datetime | None
    remaining_seconds: int | None
    remaining_working_minutes: int | None
    breached_at: dt.datetime | None
    escalation_level: int
    calendar_missing: bool
    explanation: dict


def ticket_clock_views(*, ticket_id: int, now: dt.datetime) -> list[ClockView]:
    """A ticket's clocks with the time left (one query): in seconds while running (negative
    when overdue), and in open minutes of the calendar for working-time clocks (frozen while
    paused)."""
    rows = sorted(TicketClock.objects.filter(ticket_id=ticket_id),
                  key=lambda r: (r.cycle, CLOCK_ORDER.get(r.clock, 99), r.pk))
    views = []
    for row in rows:
        remaining = working = None
        if row.due_at is not None and row.state in LIVE:
            if row.state == ClockState.RUNNING:
                remaining = int((row.due_at - now).total_seconds())
            if row.explanation.get("unit") in WORKING_UNITS:
                unit = (row.explanation.get("calendar") or {}).get("org_unit") or {}
                cal = calendar_for_unit(unit.get("id")).calendar
                ref = now if row.state == ClockState.RUNNING else (row.paused_at or now)
                left = working_minutes_between(cal, ref, row.due_at)
                if left.delta is not None:
                    working = int(left.delta.total_seconds() // 60)
        views.append(ClockView(
            clock=row.clock, cycle=row.cycle, state=row.state, started_at=row.started_at,
            due_at=row.due_at, warn_at=row.warn_at, paused_at=row.paused_at,
            stopped_at=row.stopped_at, remaining_seconds=remaining,
            remaining_working_minutes=working, breached_at=row.breached_at,
            escalation_level=row.escalation_level, calendar_missing=row.calendar_missing,
            explanation=row.explanation,
        ))
    return views
