"""Business-time arithmetic on the official Chinese working calendar. PURE: no Django, no ORM.

Inputs are plain values, so the ORM layer builds them from admin rows:

- a `DayTable` says, for each date, whether it is a working day, a rest day or unknown. Its sources,
  strongest first: per-date overrides (`DateOverride`, optionally with the day's own hours), admin-entered
  year tables (`YearTable`: the full list of holidays and make-up working days (调休) of a year), and the
  official table of `chinese_calendar` (read by `chinese_calendar_year`, the only function that touches the
  library). A date in a year that none of them covers is UNKNOWN: it is never counted as an ordinary weekday.
- a `WorkingCalendar` adds the time zone and the business hours (per org unit), or `always_open=True` for a
  24/7 hotline: every minute counts, holidays included.

The functions `deadline`, `working_minutes_between` and `next_open` take aware datetimes and answer in the
calendar's time zone. Whenever an answer depends on an UNKNOWN day they answer `calendar_missing=True` with
the year(s) concerned, `at=None`, and issue a `CalendarMissingWarning`.

Rules
-----
- Open time is a union of half-open wall-clock intervals [open, close) of each working day. A time given as
  `time(0, 0)` for a close means 24:00. Working time is counted on the wall clock of the calendar's zone.
- A working-time duration (working minutes/hours) of D > 0 ends at the earliest instant t such that the open
  time in [start, t] is D: inside an open interval or exactly at its close, never in closed time. A start in
  closed time therefore counts from the next opening. A zero duration returns the start unchanged.
- N working days (N >= 1) end at the close of business of the N-th working day strictly after the local date
  of the start (the start's own day is never counted, as in the Civil Code's rule for periods in days,
  art. 201/203: "开始的当日不计入 ... 有业务时间的，停止业务活动的时间为截止时间"). So a start at any hour
  of a working day, on a rest day, before opening or after closing all count from the next working day.
  N = 0 means "the same working day": the close of the start's day if that is a working day and the start is
  before its close, else the close of the next working day.
- N calendar days (a regulator's "15日内") end on the N-th calendar day after the local date of the start (the
  start's own day is not counted, Civil Code art. 201); when that day is not a working day the period ends on
  the next working day (art. 203: "期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日"), at
  its close of business. N = 0 is the start's own day, moved on the same way. On an always-open calendar
  they end at the midnight that ends the N-th day (no day is a rest day there).
  On an always-open calendar every day is a working day open 00:00-24:00, so N working days end at the
  midnight that ends the N-th day after the start's date.
- Calendar minutes/hours are elapsed (absolute) time and ignore the calendar entirely.

Speed: per calendar and year, arrays of cumulative open microseconds per day, working-day ordinals and
unknown-day counts are built lazily once and searched with bisect; nothing on the hot path loops over days.
"""

from __future__ import annotations

import enum
import functools
import warnings
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

__all__ = [
    "DAY_UNITS",
    "DEFAULT_HOURS",
    "CalendarMissingWarning",
    "DateOverride",
    "DayKind",
    "DayTable",
    "DeadlineResult",
    "Duration",
    "Unit",
    "WorkingCalendar",
    "WorkingTime",
    "YearTable",
    "chinese_calendar_year",
    "deadline",
    "next_open",
    "working_minutes_between",
]

DEFAULT_TZ = "Asia/Shanghai"
DEFAULT_HOURS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(13, 30), time(17, 30)),
)

_US = 1_000_000
_MINUTE_US = 60 * _US
_HOUR_US = 60 * _MINUTE_US
_DAY_US = 24 * _HOUR_US
_MAX_YEAR = 9999


class DayKind(enum.StrEnum):
    WORKDAY = "workday"
    REST = "rest"
    UNKNOWN = "unknown"


class CalendarMissingWarning(UserWarning):
    """A computation needed a day of a year that neither the library nor an admin year table covers."""


# --- day tables -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearTable:
    """The complete official arrangement of one year: every holiday and every make-up working day.

    Like the library: a date in `workdays` is a working day, else a date in `holidays` is a rest day, else
    Monday-Friday work and Saturday/Sunday rest.
    """

    year: int
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    source: str = "admin"

    def __post_init__(self) -> None:
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        strays = sorted(d for d in self.holidays | self.workdays if d.year != self.year)
        if strays:
            raise ValueError(f"dates outside {self.year} in its year table: {strays}")
        both = sorted(self.holidays & self.workdays)
        if both:
            raise ValueError(f"dates both holiday and working day: {both}")

    def kind(self, day: date) -> DayKind:
        if day in self.workdays:
            return DayKind.WORKDAY
        if day in self.holidays or day.weekday() >= 5:
            return DayKind.REST
        return DayKind.WORKDAY


@dataclass(frozen=True)
class DateOverride:
    """An admin decision for one date (globally or for one org unit): a working day (optionally with its
    own hours, e.g. a short day) or a rest day. It beats every year table."""

    day: date
    kind: DayKind
    hours: tuple[tuple[time, time], ...] | None = None
    note: str = ""

    def __post_init__(self) -> None:
        kind = DayKind(self.kind)
        object.__setattr__(self, "kind", kind)
        if kind is DayKind.UNKNOWN:
            raise ValueError("an override makes a date a working day or a rest day")
        if self.hours is not None:
            if kind is not DayKind.WORKDAY:
                raise ValueError("only a working day has hours")
            hours = tuple((o, c) for o, c in self.hours)
            _intervals(hours)  # validate now, not at first use
            object.__setattr__(self, "hours", hours)


@functools.cache
def chinese_calendar_year(year: int) -> YearTable | None:
    """The official table of `year` from the `chinese_calendar` library, or None if it doesn't cover it.

    The only place that reads the library, so everything else can be tested with synthetic tables.
    """
    import chinese_calendar

    first, last = min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year
    if not first <= year <= last:
        return None
    return YearTable(
        year=year,
        holidays=frozenset(d for d in chinese_calendar.holidays if d.year == year),
        workdays=frozenset(d for d in chinese_calendar.workdays if d.year == year),
        source="chinese_calendar",
    )


@dataclass(frozen=True)
class DayTable:
    """Which dates are working days. Strongest first: `overrides`, admin `years`, then `official(year)`.

    `official=None` gives a table with no official source (tests, or a site that enters every year).
    """

    years: tuple[YearTable, ...] = ()
    overrides: tuple[DateOverride, ...] = ()
    official: Callable[[int], YearTable | None] | None = chinese_calendar_year
    _by_year: dict[int, YearTable] = field(init=False, repr=False, compare=False, hash=False)
    _by_day: dict[date, DateOverride] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        years = tuple(self.years)
        overrides = tuple(self.overrides)
        object.__setattr__(self, "years", years)
        object.__setattr__(self, "overrides", overrides)
        by_year: dict[int, YearTable] = {}
        for table in years:
            if table.year in by_year:
                raise ValueError(f"two year tables for {table.year}")
            by_year[table.year] = table
        by_day: dict[date, DateOverride] = {}
        for override in overrides:
            if override.day in by_day:
                raise ValueError(f"two overrides for {override.day}")
            by_day[override.day] = override
        object.__setattr__(self, "_by_year", by_year)
        object.__setattr__(self, "_by_day", by_day)

    def with_overrides(self, overrides: Iterable[DateOverride]) -> DayTable:
        """This table with more overrides that win over its own (an org unit's over the global ones)."""
        merged = dict(self._by_day)
        merged.update((o.day, o) for o in overrides)
        return DayTable(years=self.years, overrides=tuple(merged.values()), official=self.official)

    def year_table(self, year: int) -> YearTable | None:
        table = self._by_year.get(year)
        if table is None and self.official is not None:
            table = self.official(year)
        return table

    def year_source(self, year: int) -> str | None:
        """'admin', 'chinese_calendar' (or the official source's name), or None: the year is missing."""
        table = self.year_table(year)
        return None if table is None else table.source

    def override(self, day: date) -> DateOverride | None:
        return self._by_day.get(day)

    def kind(self, day: date) -> DayKind:
        override = self._by_day.get(day)
        if override is not None:
            return override.kind
        table = self.year_table(day.year)
        return DayKind.UNKNOWN if table is None else table.kind(day)

    def overrides_in(self, year: int) -> list[DateOverride]:
        return [o for d, o in self._by_day.items() if d.year == year]


# --- durations and results --------------------------------------------------------------------------------


class Unit(enum.StrEnum):
    CALENDAR_MINUTES = "calendar_minutes"
    CALENDAR_HOURS = "calendar_hours"
    WORKING_MINUTES = "working_minutes"
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"


# Units counted in whole days on the calendar, not in a fixed length of time.
DAY_UNITS = frozenset({Unit.WORKING_DAYS, Unit.CALENDAR_DAYS})

_UNIT_US = {
    Unit.CALENDAR_MINUTES: _MINUTE_US,
    Unit.CALENDAR_HOURS: _HOUR_US,
    Unit.WORKING_MINUTES: _MINUTE_US,
    Unit.WORKING_HOURS: _HOUR_US,
}
_CALENDAR_UNITS = frozenset({Unit.CALENDAR_MINUTES, Unit.CALENDAR_HOURS})


@dataclass(frozen=True, slots=True)
class Duration:
    """An amount of time in a unit. Minutes and hours may be fractional (kept to the microsecond); working
    days are a whole number. Negative amounts are refused."""

    amount: int | float | Decimal | Fraction
    unit: Unit
    _us: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        unit = Unit(self.unit)
        object.__setattr__(self, "unit", unit)
        amount = self.amount
        if isinstance(amount, bool) or not isinstance(amount, int | float | Decimal | Fraction):
            raise TypeError(f"a duration's amount is a number, not {amount!r}")
        if amount < 0:
            raise ValueError(f"a duration is not negative: {amount!r}")
        if unit in DAY_UNITS:
            if amount != int(amount):
                raise ValueError(f"days are whole: {amount!r}")
            object.__setattr__(self, "amount", int(amount))
        else:
            object.__setattr__(self, "_us", int(round(Fraction(amount) * _UNIT_US[unit])))

    @property
    def delta(self) -> timedelta:
        """The length of a minutes/hours duration (working or calendar time)."""
        if self.unit in DAY_UNITS:
            raise ValueError("days have no fixed length")
        return timedelta(microseconds=self._us)

    @classmethod
    def parse(cls, text: str) -> Duration:
        """'12 working_hours', '3 working_days', '24 calendar_hours'."""
        amount, unit = text.split()
        number: int | Decimal = int(amount) if amount.isdigit() else Decimal(amount)
        return cls(number, Unit(unit))


@dataclass(frozen=True, slots=True)
class DeadlineResult:
    at: datetime | None
    calendar_missing: bool = False
    missing_years: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class WorkingTime:
    """Open time between two instants (negative when the second is earlier), or missing."""

    delta: timedelta | None
    calendar_missing: bool = False
    missing_years: tuple[int, ...] = ()

    @property
    def minutes(self) -> float | None:
        return None if self.delta is None else self.delta / timedelta(minutes=1)


# --- the calendar -----------------------------------------------------------------------------------------


def _intervals(hours: Sequence[tuple[time, time]]) -> tuple[tuple[int, int], ...]:
    """Validated business hours as (open, close) microseconds of the day; touching intervals merged."""
    out: list[tuple[int, int]] = []
    for opening, closing in hours:
        if opening.tzinfo is not None or closing.tzinfo is not None:
            raise ValueError("business hours are wall-clock times, without a time zone")
        o = _time_us(opening)
        c = _DAY_US if closing == time(0) else _time_us(closing)
        if not o < c:
            raise ValueError(
                f"an interval of business hours opens before it closes: {opening}-{closing}"
            )
        if out and o < out[-1][1]:
            raise ValueError("business hours are in order and don't overlap")
        if out and o == out[-1][1]:
            out[-1] = (out[-1][0], c)
        else:
            out.append((o, c))
    if not out:
        raise ValueError("a working day has business hours")
    return tuple(out)


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US + t.microsecond


class _Year:
    """One year of one calendar, as arrays over its days (index 0 = 1 January)."""

    __slots__ = ("year", "base", "kinds", "ivals", "cum", "wcum", "wdays", "ucum", "total", "nwork")

    def __init__(self, year: int, days: DayTable, default: tuple[tuple[int, int], ...]) -> None:
        self.year = year
        first = date(year, 1, 1)
        self.base = first.toordinal()
        ndays = date(year + 1, 1, 1).toordinal() - self.base if year < _MAX_YEAR else 365
        table = days.year_table(year)
        overrides = {o.day: o for o in days.overrides_in(year)}
        kinds: list[DayKind] = []
        ivals: list[tuple[tuple[int, int], ...]] = []
        cum = [0]
        wcum = [0]
        ucum = [0]
        wdays: list[int] = []
        one = timedelta(days=1)
        day = first
        for i in range(ndays):
            override = overrides.get(day)
            if override is not None:
                kind = override.kind
            elif table is not None:
                kind = table.kind(day)
            else:
                kind = DayKind.UNKNOWN
            if kind is DayKind.WORKDAY:
                own = override.hours if override is not None else None
                iv = default if own is None else _intervals(own)
                wdays.append(i)
            else:
                iv = ()
            kinds.append(kind)
            ivals.append(iv)
            cum.append(cum[-1] + sum(c - o for o, c in iv))
            wcum.append(len(wdays))
            ucum.append(ucum[-1] + (kind is DayKind.UNKNOWN))
            day += one
        self.kinds = kinds
        self.ivals = ivals
        self.cum = cum
        self.wcum = wcum
        self.wdays = wdays
        self.ucum = ucum
        self.total = cum[-1]
        self.nwork = len(wdays)


class WorkingCalendar:
    """Time zone + business hours + day table of one org unit. Immutable; caches its per-year arrays, so
    build it once per unit (and again when the admin edits its calendar)."""

    def __init__(
        self,
        tz: tzinfo | str = DEFAULT_TZ,
        hours: Sequence[tuple[time, time]] = DEFAULT_HOURS,
        always_open: bool = False,
        days: DayTable | None = None,
        name: str = "",
    ) -> None:
        self.tz: tzinfo = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.hours = tuple((o, c) for o, c in hours)
        self.always_open = bool(always_open)
        self.days = DayTable() if days is None else days
        self.name = name
        self._default = _intervals(self.hours) if not self.always_open else ((0, _DAY_US),)
        self._years: dict[int, _Year] = {}

    def __repr__(self) -> str:
        mode = (
            "24/7" if self.always_open else ",".join(f"{o:%H:%M}-{c:%H:%M}" for o, c in self.hours)
        )
        return f"<WorkingCalendar {self.name or ''} {self.tz} {mode}>".replace("  ", " ")

    def _year(self, year: int) -> _Year:
        block = self._years.get(year)
        if block is None:
            if not 1 <= year <= _MAX_YEAR:
                raise OverflowError(f"year {year} is out of range")
            block = self._years[year] = _Year(year, self.days, self._default)
        return block

    def day_kind(self, day: date) -> DayKind:
        if self.always_open:
            return DayKind.WORKDAY
        block = self._year(day.year)
        return block.kinds[day.toordinal() - block.base]

    def hours_on(self, day: date) -> tuple[tuple[time, time], ...]:
        """The open intervals of a date (empty on rest and unknown days); a close at 24:00 is time(0)."""
        if self.always_open:
            return ((time(0), time(0)),)
        block = self._year(day.year)
        return tuple(
            (_us_time(o), _us_time(c)) for o, c in block.ivals[day.toordinal() - block.base]
        )

    def is_open(self, t: datetime) -> bool | None:
        """Whether `t` is in open time; None if its day is unknown."""
        if self.always_open:
            return True
        block, d, us = self._locate(t)
        if block.kinds[d] is DayKind.UNKNOWN:
            return None
        return any(o <= us < c for o, c in block.ivals[d])

    def _locate(self, t: datetime) -> tuple[_Year, int, int]:
        if t.tzinfo is None:
            raise ValueError("the calendar needs aware datetimes")
        loc = t.astimezone(self.tz)
        block = self._years.get(loc.year) or self._year(loc.year)
        us = ((loc.hour * 60 + loc.minute) * 60 + loc.second) * _US + loc.microsecond
        return block, loc.toordinal() - block.base, us

    def _at(self, ordinal: int, us: int) -> datetime:
        if us >= _DAY_US:
            ordinal += us // _DAY_US
            us %= _DAY_US
        day = date.fromordinal(ordinal)
        s, micro = divmod(us, _US)
        m, s = divmod(s, 60)
        h, m = divmod(m, 60)
        return datetime(day.year, day.month, day.day, h, m, s, micro, tzinfo=self.tz)


def _us_time(us: int) -> time:
    if us >= _DAY_US:
        return time(0)
    s, micro = divmod(us, _US)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return time(h, m, s, micro)


def _within(ivals: tuple[tuple[int, int], ...], us: int) -> int:
    """Open microseconds of a day before the wall-clock instant `us`."""
    done = 0
    for o, c in ivals:
        if us <= o:
            break
        if us < c:
            return done + us - o
        done += c - o
    return done


def _missing(year: int) -> DeadlineResult:
    _warn((year,), stacklevel=4)
    return DeadlineResult(None, True, (year,))


def _warn(years: tuple[int, ...], stacklevel: int = 3) -> None:
    """Warn where the public function was called from."""
    warnings.warn(
        CalendarMissingWarning(
            f"no working calendar for {', '.join(map(str, years))}: enter the year's holidays and "
            "make-up working days in the admin"
        ),
        stacklevel=stacklevel,
    )


def _nth_workday(cal: WorkingCalendar, block: _Year, d: int, n: int) -> tuple[_Year, int] | int:
    """The n-th (n >= 1) working day strictly after day index `d` of `block` (d may be -1): (block, index),
    or the year (an int) whose unknown days it would depend on."""
    k = block.wcum[d + 1] + n - 1
    while True:
        if k < block.nwork:
            e = block.wdays[k]
            if block.ucum[e + 1] != block.ucum[d + 1]:
                return block.year
            return block, e
        if block.ucum[-1] != block.ucum[d + 1]:
            return block.year
        k -= block.nwork
        block = cal._year(block.year + 1)
        d = -1


def deadline(calendar: WorkingCalendar, start: datetime, duration: Duration) -> DeadlineResult:
    """When `duration` counted from `start` on `calendar` ends (see the module's rules)."""
    unit = duration.unit
    if unit in _CALENDAR_UNITS or (calendar.always_open and unit not in DAY_UNITS):
        if start.tzinfo is None:
            raise ValueError("the calendar needs aware datetimes")
        at = (start.astimezone(UTC) + timedelta(microseconds=duration._us)).astimezone(calendar.tz)
        return DeadlineResult(at)
    if calendar.always_open:  # working or calendar days: each day is open 00:00-24:00
        if start.tzinfo is None:
            raise ValueError("the calendar needs aware datetimes")
        return DeadlineResult(
            calendar._at(start.astimezone(calendar.tz).toordinal() + duration.amount + 1, 0)
        )
    block, d, us = calendar._locate(start)

    if unit is Unit.CALENDAR_DAYS:
        last = block.base + d + duration.amount  # the ordinal of the period's last day
        block = calendar._year(date.fromordinal(last).year)
        e = last - block.base
        kind = block.kinds[e]
        if kind is DayKind.UNKNOWN:
            return _missing(block.year)
        if kind is not DayKind.WORKDAY:
            found = _nth_workday(calendar, block, e, 1)
            if type(found) is int:
                return _missing(found)
            block, e = found  # type: ignore[misc]
        return DeadlineResult(calendar._at(block.base + e, block.ivals[e][-1][1]))

    if unit is Unit.WORKING_DAYS:
        n = duration.amount
        if n == 0:
            kind = block.kinds[d]
            if kind is DayKind.UNKNOWN:
                return _missing(block.year)
            if kind is DayKind.WORKDAY and us < block.ivals[d][-1][1]:
                return DeadlineResult(calendar._at(block.base + d, block.ivals[d][-1][1]))
            n = 1
        found = _nth_workday(calendar, block, d, n)
        if type(found) is int:
            return _missing(found)
        block, e = found  # type: ignore[misc]
        return DeadlineResult(calendar._at(block.base + e, block.ivals[e][-1][1]))

    # working minutes / hours
    dur = duration._us
    if dur == 0:
        return DeadlineResult(start.astimezone(calendar.tz))
    target = block.cum[d] + _within(block.ivals[d], us) + dur
    while True:
        cum = block.cum
        if target <= block.total:
            e = bisect_left(cum, target, d + 1) - 1
            if block.ucum[e + 1] != block.ucum[d]:
                return _missing(block.year)
            r = target - cum[e]
            for o, c in block.ivals[e]:
                if r <= c - o:
                    return DeadlineResult(calendar._at(block.base + e, o + r))
                r -= c - o
            raise AssertionError("unreachable: cumulative open time and intervals disagree")
        if block.ucum[-1] != block.ucum[d]:
            return _missing(block.year)
        target -= block.total
        block = calendar._year(block.year + 1)
        d = 0


def working_minutes_between(calendar: WorkingCalendar, a: datetime, b: datetime) -> WorkingTime:
    """Open time from `a` to `b` (negative if b < a): for pauses and 'time left'. `.minutes` is a float,
    `.delta` exact."""
    if a.tzinfo is None or b.tzinfo is None:
        raise ValueError("the calendar needs aware datetimes")
    if calendar.always_open:
        return WorkingTime(b - a)
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    block_a, da, us_a = calendar._locate(a)
    block_b, db, us_b = calendar._locate(b)
    # b at midnight needs nothing of its own day
    needed_b = db + (us_b > 0)
    if block_a is block_b:
        if block_a.ucum[needed_b] != block_a.ucum[da]:
            _warn((block_a.year,))
            return WorkingTime(None, True, (block_a.year,))
        pos_a = block_a.cum[da] + _within(block_a.ivals[da], us_a)
        pos_b = block_b.cum[db] + _within(block_b.ivals[db], us_b)
        return WorkingTime(timedelta(microseconds=sign * (pos_b - pos_a)))
    missing: list[int] = []
    if block_a.ucum[-1] != block_a.ucum[da]:
        missing.append(block_a.year)
    total = block_a.total - block_a.cum[da] - _within(block_a.ivals[da], us_a)
    for year in range(block_a.year + 1, block_b.year):
        block = calendar._year(year)
        if block.ucum[-1]:
            missing.append(year)
        total += block.total
    if block_b.ucum[needed_b]:
        missing.append(block_b.year)
    if missing:
        years = tuple(missing)
        _warn(years)
        return WorkingTime(None, True, years)
    total += block_b.cum[db] + _within(block_b.ivals[db], us_b)
    return WorkingTime(timedelta(microseconds=sign * total))


def next_open(calendar: WorkingCalendar, t: datetime) -> DeadlineResult:
    """`t` itself if the calendar is open then, else the next opening."""
    if calendar.always_open:
        if t.tzinfo is None:
            raise ValueError("the calendar needs aware datetimes")
        return DeadlineResult(t.astimezone(calendar.tz))
    block, d, us = calendar._locate(t)
    if block.kinds[d] is DayKind.UNKNOWN:
        return _missing(block.year)
    for o, c in block.ivals[d]:
        if us < c:
            if us >= o:
                return DeadlineResult(t.astimezone(calendar.tz))
            return DeadlineResult(calendar._at(block.base + d, o))
    found = _nth_workday(calendar, block, d, 1)
    if type(found) is int:
        return _missing(found)
    block, e = found  # type: ignore[misc]
    return DeadlineResult(calendar._at(block.base + e, block.ivals[e][0][0]))
