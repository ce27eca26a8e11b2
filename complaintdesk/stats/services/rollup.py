"""The only writer of the roll-up (`DailyCount`, `RollupState`).

Days, not tickets, are the unit of work: a day's rows are deleted and counted again from its
tickets in one transaction, so a refresh that runs twice, or on two workers, leaves the same
rows. `rollup_refresh` (the huey job, every minute) finds the days to count again from what
changed since its marks: new ticket events (every step of the one writer appends one), deadline
breaches (the scan writes no event) and complaint-ledger entries. Nothing is added to the
ticket-create path."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Max, Q
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from complaintdesk.sla.calendar import working_minutes_between
from complaintdesk.sla.models import LedgerEntry, TicketClock
from complaintdesk.sla.services.calendars import calendar_for_unit
from complaintdesk.sla.vocabulary import ClockState, ClockType, LedgerReason
from complaintdesk.stats.models import DailyCount, RollupState
from complaintdesk.stats.vocabulary import MEASURES
from complaintdesk.tickets.models import Ticket, TicketEvent
from complaintdesk.tickets.vocabulary import EventType, Resolution, Satisfaction, State

CLOSED_STATES = (State.CLOSED.value, State.ARCHIVED.value)
DIMENSIONS = ("kind", "category_id", "cause", "responsible_department_id", "lead_department_id", "org_unit_id",
              "channel", "source_tier", "severity", "state", "satisfaction")
# A transaction that appended an event with a lower id may commit after one with a higher id:
# events younger than this are read again by the next refresh (their days counted again).
SETTLE = dt.timedelta(seconds=90)
# Deadline breaches are found by time (the scan's `now`): the same margin backwards.
BREACH_OVERLAP = dt.timedelta(seconds=120)
ID_CHUNK = 5000


@dataclass
class RefreshResult:
    days: int
    rows: int
    events_read: int
    refreshed_at: dt.datetime


def _tz():
    return timezone.get_default_timezone()


def local_day(t: dt.datetime) -> dt.date:
    return timezone.localtime(t, _tz()).date()


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=_tz())


def _state_locked() -> RollupState:
    RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update().get(pk=1)


def _ticket_measures(t: dict, ev: dict, last_cb: str | None, missed: set[str], ledger: bool) -> dict:
    """One ticket's counters: 0 or 1 per measure, and the handling minutes. `last_cb` is the
    outcome of its last callback (the ticket's own field is wiped when the case is reopened)."""
    closed = t["state"] in CLOSED_STATES
    breached = bool(missed)
    m = dict.fromkeys(MEASURES, 0)
    m["registered"] = 1
    m["closed"] = int(closed)
    m["closed_on_time"] = int(closed and not breached)
    acknowledged = ev.get(EventType.ACKNOWLEDGED, 0) > 0
    m["acknowledged"] = int(acknowledged)
    m["acknowledged_in_time"] = int(acknowledged and ClockType.ACKNOWLEDGE.value not in missed)
    m["called_back"] = int(bool(last_cb))
    m["satisfied"] = int(last_cb == Satisfaction.SATISFIED)
    m["dissatisfied"] = int(last_cb == Satisfaction.DISSATISFIED)
    m["on_spot"] = int(t["resolution"] == Resolution.ON_SPOT or ev.get(EventType.RESOLVED_ON_SPOT, 0) > 0)
    m["repeat"] = int(t["repeat_of_id"] is not None)
    m["over_the_head"] = int(bool(t["over_the_head"]))
    m["breached"] = int(breached)
    m["audit_rejected"] = int(ev.get(EventType.AUDIT_REJECTED, 0) > 0)
    m["redispatched"] = int(ev.get(EventType.DISPATCHED, 0) + ev.get(EventType.TRANSFERRED, 0) > 1)
    m["escalated"] = int(ledger)
    m["reopened"] = int((t["reopen_count"] or 0) > 0)
    if closed and t["closed_at"] is not None:
        worked = working_minutes_between(calendar_for_unit(t["org_unit_id"]).calendar, t["created_at"], t["closed_at"])
        if worked.calendar_missing or worked.minutes is None:
            m["calendar_missing"] = 1
        else:
            m["handled"] = 1
            m["handling_minutes"] = max(0, round(worked.minutes))
    return m


def _count_range(start: dt.datetime, end: dt.datetime) -> list[DailyCount]:
    """The roll-up rows of the tickets registered in [start, end): five queries whatever the
    number of tickets (tickets, event counts, callbacks, missed clocks, ledger entries)."""
    tickets = list(Ticket.objects.filter(created_at__gte=start, created_at__lt=end).order_by().values(
        "id", "created_at", "kind", "category_id", "cause", "responsible_department_id", "lead_department_id",
        "org_unit_id", "channel", "source_tier", "severity", "state", "resolution", "repeat_of_id",
        "over_the_head", "reopen_count", "closed_at", "satisfaction"))
    if not tickets:
        return []
    in_range = Q(ticket__created_at__gte=start, ticket__created_at__lt=end)
    events: dict[int, dict] = defaultdict(dict)
    for row in (TicketEvent.objects.filter(in_range, type__in=[
            EventType.ACKNOWLEDGED, EventType.DISPATCHED, EventType.TRANSFERRED, EventType.AUDIT_REJECTED,
            EventType.RESOLVED_ON_SPOT]).order_by().values("ticket_id", "type").annotate(n=Count("id"))):
        events[row["ticket_id"]][row["type"]] = row["n"]
    last_callback: dict[int, str] = {}
    for tid, outcome in (TicketEvent.objects.filter(in_range, type=EventType.CALLED_BACK)
                         .annotate(outcome=KeyTextTransform("satisfaction", "payload"))
                         .order_by("ticket_id", "id").values_list("ticket_id", "outcome")):
        last_callback[tid] = outcome or ""
    missed: dict[int, set[str]] = defaultdict(set)
    for tid, clock in (TicketClock.objects.filter(in_range).filter(
            Q(breached_at__isnull=False) | Q(state=ClockState.MISSED)).values_list("ticket_id", "clock")):
        missed[tid].add(clock)
    escalated = set(LedgerEntry.objects.filter(in_range, reason=LedgerReason.BREACH)
                    .values_list("ticket_id", flat=True))

    groups: dict[tuple, dict] = {}
    for t in tickets:
        outcome = last_callback.get(t["id"])
        if outcome == "":  # an older callback event without the key: the ticket's own field
            outcome = t["satisfaction"] or ""
        elif outcome is None and t["satisfaction"]:  # set without an event (imported data)
            outcome = t["satisfaction"]
        m = _ticket_measures(t, events.get(t["id"], {}), outcome,
                                           missed.get(t["id"], set()), t["id"] in escalated)
        # The satisfaction dimension is the ticket's own (a reopened case has none until it is
        # called back again), so the drill-down's filter lists the same tickets; the measures
        # count the last callback's outcome.
        key = (local_day(t["created_at"]), *(t[d] for d in DIMENSIONS))
        total = groups.get(key)
        if total is None:
            groups[key] = m
        else:
            for name, v in m.items():
                total[name] += v
    rows = []
    for key, m in groups.items():
        day, *dims = key
        rows.append(DailyCount(day=day, **dict(zip(DIMENSIONS, dims, strict=True)),
                               **{k: v for k, v in m.items()}))
    for row in rows:  # blank, not NULL, for the text dimensions a ticket has not yet got
        row.cause = row.cause or ""
    return rows


def _ranges(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days joined into [first, last] ranges (a rebuild reads a month at a time)."""
    out: list[list[dt.date]] = []
    for d in sorted(set(days)):
        if out and (d - out[-1][1]).days == 1 and (d - out[-1][0]).days < 31:
            out[-1][1] = d
        else:
            out.append([d, d])
    return [(a, b) for a, b in out]


def rollup_days(days: Iterable[dt.date]) -> int:
    """Count the given local days again (each range in its own transaction). Returns the rows written."""
    written = 0
    for first, last in _ranges(days):
        with transaction.atomic():
            rows = _count_range(day_start(first), day_start(last + dt.timedelta(days=1)))
            DailyCount.objects.filter(day__gte=first, day__lte=last).delete()
            DailyCount.objects.bulk_create(rows, batch_size=1000)
            written += len(rows)
    return written


def _days_of(ticket_ids: set[int]) -> set[dt.date]:
    days: set[dt.date] = set()
    ids = sorted(ticket_ids)
    for i in range(0, len(ids), ID_CHUNK):
        for created in Ticket.objects.filter(id__in=ids[i:i + ID_CHUNK]).values_list("created_at", flat=True):
            days.add(local_day(created))
    return days


def rollup_rebuild(*, now: dt.datetime | None = None) -> RefreshResult:
    """Count every day again (first run, or after a change of the counting rules)."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _state_locked()
        mark = TicketEvent.objects.aggregate(m=Max("id"))["m"] or 0
        ledger = LedgerEntry.objects.aggregate(m=Max("id"))["m"] or 0
        first = Ticket.objects.order_by("created_at").values_list("created_at", flat=True).first()
        DailyCount.objects.all().delete()
        rows = 0
        ndays = 0
        if first is not None:
            last = local_day(now)
            start = local_day(first)
            days = [start + dt.timedelta(days=i) for i in range((last - start).days + 1)]
            ndays = len(days)
            rows = rollup_days(days)
        # The marks as they were before counting: whatever happened meanwhile is read again.
        state.event_mark, state.ledger_mark, state.breach_mark = mark, ledger, now
        state.refreshed_at = state.built_at = now
        state.save()
    return RefreshResult(ndays, rows, mark, now)


def rollup_refresh(*, now: dt.datetime | None = None) -> RefreshResult:
    """Count again the days of the tickets touched since the marks. The state row is locked for
    the run, so two workers take turns; the second finds little left to do."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _state_locked()
        if state.built_at is None:
            return rollup_rebuild(now=now)
        touched: set[int] = set()
        new_mark = state.event_mark
        settled_before = now - SETTLE
        unsettled = None
        n_events = 0
        for eid, tid, at in (TicketEvent.objects.filter(id__gt=state.event_mark).order_by("id")
                             .values_list("id", "ticket_id", "created_at").iterator(chunk_size=5000)):
            n_events += 1
            touched.add(tid)
            if at > settled_before and unsettled is None:
                unsettled = eid
            if unsettled is None:
                new_mark = eid
        breach_from = (state.breach_mark or now) - BREACH_OVERLAP
        touched.update(TicketClock.objects.filter(breached_at__gte=breach_from)
                       .values_list("ticket_id", flat=True))
        ledger_mark = state.ledger_mark
        for lid, tid in LedgerEntry.objects.filter(id__gt=state.ledger_mark).values_list("id", "ticket_id"):
            touched.add(tid)
            ledger_mark = max(ledger_mark, lid)
        days = _days_of(touched)
        rows = rollup_days(days)
        state.event_mark, state.ledger_mark, state.breach_mark = new_mark, ledger_mark, now
        state.refreshed_at = now
        state.save()
    return RefreshResult(len(days), rows, n_events, now)
