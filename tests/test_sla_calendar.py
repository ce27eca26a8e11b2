"""Business-time arithmetic of complaintdesk.sla.calendar: golden cases on the official 2026 calendar,
the unpublished 2027, overrides and the 24/7 calendar; hypothesis properties against a slow,
minute-by-minute / day-by-day reference written here. No database:

    .venv/bin/python -m pytest tests/test_sla_calendar.py -q -p no:django --noconftest
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import warnings
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaintdesk.sla.calendar import (
    CalendarMissingWarning,
    DateOverride,
    DayKind,
    DayTable,
    Duration,
    Unit,
    WorkingCalendar,
    YearTable,
    chinese_calendar_year,
    deadline,
    next_open,
    working_minutes_between,
)

SH = ZoneInfo("Asia/Shanghai")
MIN = timedelta(minutes=1)
DAY = timedelta(days=1)
US = timedelta(microseconds=1)
OFFICE = WorkingCalendar()  # 08:30-12:00, 13:30-17:30, official calendar, Asia/Shanghai
HOTLINE = WorkingCalendar(always_open=True)
IGNORE_MISSING = pytest.mark.filterwarnings(
    "ignore::complaintdesk.sla.calendar.CalendarMissingWarning"
)
# SLA_CALENDAR_EXAMPLES=5000 for a deep run
PROPS = settings(
    max_examples=int(os.environ.get("SLA_CALENDAR_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def wh(n: float) -> Duration:
    return Duration(n, Unit.WORKING_HOURS)


def wd(n: int) -> Duration:
    return Duration(n, Unit.WORKING_DAYS)


def due(cal: WorkingCalendar, start: datetime, duration: Duration) -> datetime | None:
    return deadline(cal, start, duration).at


# --- the official 2026 calendar, checked against the library itself --------------------------------------


def test_library_2026_spring_festival_and_national_day_as_the_goldens_assume():
    for offset in range(9):  # 2026-02-15 .. 02-23
        assert chinese_calendar.is_holiday(date(2026, 2, 15) + timedelta(days=offset))
    for makeup in (date(2026, 2, 14), date(2026, 2, 28)):
        assert makeup.weekday() == 5 and chinese_calendar.is_workday(makeup)
    for offset in range(7):  # 2026-10-01 .. 10-07
        assert chinese_calendar.is_holiday(date(2026, 10, 1) + timedelta(days=offset))
    assert date(2026, 9, 20).weekday() == 6 and chinese_calendar.is_workday(date(2026, 9, 20))
    assert date(2026, 10, 10).weekday() == 5 and chinese_calendar.is_workday(date(2026, 10, 10))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))


def test_calendar_day_kinds_follow_the_library_for_every_day_of_2026():
    day = date(2026, 1, 1)
    while day.year == 2026:
        expected = DayKind.WORKDAY if chinese_calendar.is_workday(day) else DayKind.REST
        assert OFFICE.day_kind(day) is expected, day
        day += DAY
    assert OFFICE.day_kind(date(2027, 1, 4)) is DayKind.UNKNOWN
    assert chinese_calendar_year(2027) is None
    assert DayTable().year_source(2026) == "chinese_calendar"
    assert DayTable().year_source(2027) is None


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Spring Festival: holiday Sun 02-15 .. Mon 02-23; make-up working Saturdays 02-14 and 02-28
        (at(2026, 2, 13, 10), wd(1), at(2026, 2, 14, 17, 30)),
        (at(2026, 2, 13, 10), wd(2), at(2026, 2, 24, 17, 30)),
        (at(2026, 2, 13, 10), wd(3), at(2026, 2, 25, 17, 30)),
        (at(2026, 2, 13, 10), wh(12), at(2026, 2, 14, 16, 0)),  # 6 h Fri + 3.5 h + 2.5 h Sat
        (at(2026, 2, 14, 17), wh(1), at(2026, 2, 24, 9, 0)),  # 30 min Sat, 30 min after the holiday
        (at(2026, 2, 16, 10), wd(1), at(2026, 2, 24, 17, 30)),  # start inside the holiday
        (at(2026, 2, 16, 10), wh(12), at(2026, 2, 25, 14, 30)),  # 7.5 h Tue + 4.5 h Wed
        (at(2026, 2, 27, 10), wd(1), at(2026, 2, 28, 17, 30)),  # Fri → make-up Sat
        (at(2026, 2, 27, 10), wd(2), at(2026, 3, 2, 17, 30)),
        (at(2026, 2, 13, 10), Duration(24, Unit.CALENDAR_HOURS), at(2026, 2, 14, 10)),
        # National Day: holiday 10-01 .. 10-07 (Mid-Autumn Fri 09-25 .. Sun 09-27 before it);
        # make-up working Sunday 09-20 and Saturday 10-10
        (at(2026, 9, 30, 10), wd(1), at(2026, 10, 8, 17, 30)),
        (at(2026, 9, 30, 10), wd(3), at(2026, 10, 10, 17, 30)),
        (at(2026, 9, 30, 17), wh(12), at(2026, 10, 9, 14, 0)),  # 0.5 + 7.5 + 4 h
        (at(2026, 9, 19, 10), wd(1), at(2026, 9, 20, 17, 30)),  # Sat → make-up Sun
        (at(2026, 9, 19, 10), wh(1), at(2026, 9, 20, 9, 30)),
        (at(2026, 9, 24, 16), wh(2), at(2026, 9, 28, 9, 0)),  # across Mid-Autumn
        (at(2026, 10, 9, 17), wh(1), at(2026, 10, 10, 9, 0)),
        (at(2026, 10, 3, 12), wd(1), at(2026, 10, 8, 17, 30)),
    ],
)
def test_golden_2026(start, duration, expected):
    result = deadline(OFFICE, start, duration)
    assert result.at == expected and result.at.tzinfo is SH
    assert not result.calendar_missing and result.missing_years == ()


def test_golden_working_minutes_between_over_the_spring_festival():
    assert working_minutes_between(OFFICE, at(2026, 2, 13, 10), at(2026, 2, 24, 9)).minutes == 840
    assert working_minutes_between(OFFICE, at(2026, 2, 24, 9), at(2026, 2, 13, 10)).minutes == -840
    assert working_minutes_between(OFFICE, at(2026, 2, 15), at(2026, 2, 23, 23)).minutes == 0
    assert next_open(OFFICE, at(2026, 2, 14, 18)).at == at(2026, 2, 24, 8, 30)
    assert next_open(OFFICE, at(2026, 10, 9, 18)).at == at(2026, 10, 10, 8, 30)
    assert next_open(OFFICE, at(2026, 10, 9, 17, 30)).at == at(2026, 10, 10, 8, 30)
    assert next_open(OFFICE, at(2026, 10, 9, 12)).at == at(2026, 10, 9, 13, 30)
    assert next_open(OFFICE, at(2026, 10, 9, 8, 30)).at == at(2026, 10, 9, 8, 30)


# --- where the starts fall -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Mon 2026-03-09 is an ordinary working day; Sat 03-07 an ordinary rest day
        (at(2026, 3, 7, 10), wh(1), at(2026, 3, 9, 9, 30)),  # rest day
        (at(2026, 3, 7, 10), wd(1), at(2026, 3, 9, 17, 30)),
        (at(2026, 3, 7, 10), wd(0), at(2026, 3, 9, 17, 30)),
        (at(2026, 3, 9, 7), wh(1), at(2026, 3, 9, 9, 30)),  # before opening
        (at(2026, 3, 9, 7), wd(1), at(2026, 3, 10, 17, 30)),  # the start's day is not counted
        (at(2026, 3, 9, 7), wd(0), at(2026, 3, 9, 17, 30)),
        (at(2026, 3, 9, 12, 30), wh(1), at(2026, 3, 9, 14, 30)),  # lunch break
        (at(2026, 3, 9, 12, 30), wh(4), at(2026, 3, 9, 17, 30)),  # ends exactly at the close
        (at(2026, 3, 9, 11, 30), Duration(30, Unit.WORKING_MINUTES), at(2026, 3, 9, 12)),
        (at(2026, 3, 9, 11, 30), Duration(31, Unit.WORKING_MINUTES), at(2026, 3, 9, 13, 31)),
        (at(2026, 3, 9, 12), Duration(30, Unit.WORKING_MINUTES), at(2026, 3, 9, 14)),
        (at(2026, 3, 9, 18), wh(1), at(2026, 3, 10, 9, 30)),  # after closing
        (at(2026, 3, 9, 18), wd(0), at(2026, 3, 10, 17, 30)),
        (at(2026, 3, 9, 18), wd(1), at(2026, 3, 10, 17, 30)),
        (at(2026, 3, 9, 17, 30), wh(1), at(2026, 3, 10, 9, 30)),  # exactly at the close
        (at(2026, 3, 9, 17, 30), wd(0), at(2026, 3, 10, 17, 30)),
        (at(2026, 3, 9, 17, 29), wd(0), at(2026, 3, 9, 17, 30)),
        (at(2026, 3, 9, 8, 30), wd(0), at(2026, 3, 9, 17, 30)),
        (at(2026, 3, 9, 8, 30), wh(7.5), at(2026, 3, 9, 17, 30)),  # a full day
        (at(2026, 3, 9, 8, 30), wh(0.5), at(2026, 3, 9, 9)),
        (at(2026, 3, 13, 10), wd(1), at(2026, 3, 16, 17, 30)),  # Fri → Mon
        (at(2026, 3, 9, 10), Duration(0, Unit.WORKING_HOURS), at(2026, 3, 9, 10)),
        (at(2026, 3, 7, 10), Duration(0, Unit.WORKING_HOURS), at(2026, 3, 7, 10)),
    ],
)
def test_starts_on_rest_days_before_opening_at_lunch_and_after_closing(start, duration, expected):
    assert due(OFFICE, start, duration) == expected


def test_time_zones_aware_in_aware_out_in_the_calendars_zone():
    start_utc = datetime(2026, 3, 9, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
    result = deadline(OFFICE, start_utc, wh(1)).at
    assert result == at(2026, 3, 9, 9, 30) and result.tzinfo is SH
    assert result.utcoffset() == timedelta(hours=8)
    # a unit in UTC+6: the same wall-clock hours, local to the unit
    urumqi = WorkingCalendar(tz="Asia/Urumqi")
    start = datetime(2026, 3, 9, 10, tzinfo=ZoneInfo("Asia/Urumqi"))
    assert due(urumqi, start, wh(1)) == datetime(2026, 3, 9, 11, tzinfo=ZoneInfo("Asia/Urumqi"))
    assert due(urumqi, start.astimezone(SH), wh(1)).tzinfo == ZoneInfo("Asia/Urumqi")
    with pytest.raises(ValueError, match="aware"):
        deadline(OFFICE, datetime(2026, 3, 9, 10), wh(1))
    with pytest.raises(ValueError, match="aware"):
        working_minutes_between(OFFICE, datetime(2026, 3, 9, 10), at(2026, 3, 9, 11))
    with pytest.raises(ValueError, match="aware"):
        next_open(OFFICE, datetime(2026, 3, 9, 10))


# --- 2027: not published; admin year table -----------------------------------------------------------------

# Made up for the test (the State Council has not published 2027): New Year Fri 01-01 .. Sun 01-03.
ADMIN_2027 = YearTable(
    2027,
    holidays=frozenset({date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)}),
    workdays=frozenset(),
)


def test_a_deadline_reaching_into_2027_is_marked_calendar_missing_and_warns():
    for duration in (wd(1), wh(12), wd(0)):
        start = at(2026, 12, 31, 10) if duration.amount else at(2026, 12, 31, 18)
        with pytest.warns(CalendarMissingWarning, match="2027"):
            result = deadline(OFFICE, start, duration)
        assert result.at is None and result.calendar_missing and result.missing_years == (2027,)
    with pytest.warns(CalendarMissingWarning):
        assert deadline(OFFICE, at(2027, 3, 1, 10), wh(1)).missing_years == (2027,)
    with pytest.warns(CalendarMissingWarning):
        between = working_minutes_between(OFFICE, at(2026, 12, 31, 10), at(2027, 1, 4, 10))
    assert between.delta is None and between.minutes is None and between.missing_years == (2027,)
    with pytest.warns(CalendarMissingWarning) as caught:
        back = working_minutes_between(OFFICE, at(2027, 1, 4, 10), at(2026, 12, 31, 10))
    assert back.missing_years == (2027,) and caught[0].filename == __file__
    with pytest.warns(CalendarMissingWarning):
        assert next_open(OFFICE, at(2026, 12, 31, 18)).calendar_missing


def test_deadlines_that_stay_in_2026_or_ignore_the_calendar_are_not_missing():
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarMissingWarning)
        assert due(OFFICE, at(2026, 12, 30, 10), wd(1)) == at(2026, 12, 31, 17, 30)
        assert due(OFFICE, at(2026, 12, 31, 10), wh(6)) == at(2026, 12, 31, 17, 30)
        assert due(OFFICE, at(2026, 12, 31, 10), wd(0)) == at(2026, 12, 31, 17, 30)
        assert due(OFFICE, at(2026, 12, 31, 10), Duration(24, Unit.CALENDAR_HOURS)) == at(
            2027, 1, 1, 10
        )
        assert due(HOTLINE, at(2026, 12, 31, 10), wd(1)) == at(2027, 1, 2)
        assert due(HOTLINE, at(2026, 12, 31, 10), wh(12)) == at(2026, 12, 31, 22)
        assert (
            working_minutes_between(OFFICE, at(2026, 12, 30, 10), at(2026, 12, 31, 10)).minutes
            == 450
        )


def test_the_same_deadline_with_an_admin_entered_2027():
    cal = WorkingCalendar(days=DayTable(years=(ADMIN_2027,)))
    assert cal.days.year_source(2027) == "admin"
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarMissingWarning)
        assert due(cal, at(2026, 12, 31, 10), wd(1)) == at(2027, 1, 4, 17, 30)
        assert due(cal, at(2026, 12, 31, 10), wh(12)) == at(
            2027, 1, 4, 16, 0
        )  # 6 h + 3.5 h + 2.5 h
        assert due(cal, at(2026, 12, 31, 10), wd(3)) == at(2027, 1, 6, 17, 30)
        assert due(cal, at(2027, 1, 2, 10), wh(1)) == at(2027, 1, 4, 9, 30)
        assert working_minutes_between(cal, at(2026, 12, 31, 10), at(2027, 1, 4, 10)).minutes == (
            360 + 90
        )
        assert next_open(cal, at(2026, 12, 31, 18)).at == at(2027, 1, 4, 8, 30)
    # 2028 is missing again
    with pytest.warns(CalendarMissingWarning):
        assert deadline(cal, at(2027, 12, 31, 10), wd(1)).missing_years == (2028,)


def test_an_admin_year_table_overrides_the_library():
    no_festival = YearTable(2026, holidays=frozenset(), workdays=frozenset())
    cal = WorkingCalendar(days=DayTable(years=(no_festival,)))
    assert cal.day_kind(date(2026, 2, 16)) is DayKind.WORKDAY
    assert cal.day_kind(date(2026, 2, 14)) is DayKind.REST
    assert due(cal, at(2026, 2, 13, 10), wd(1)) == at(2026, 2, 16, 17, 30)


def test_an_override_in_an_uncovered_year_knows_only_its_own_day():
    table = DayTable(overrides=(DateOverride(date(2027, 1, 1), DayKind.REST),))
    cal = WorkingCalendar(days=table)
    assert cal.day_kind(date(2027, 1, 1)) is DayKind.REST
    assert cal.day_kind(date(2027, 1, 4)) is DayKind.UNKNOWN
    with pytest.warns(CalendarMissingWarning):
        assert deadline(cal, at(2026, 12, 31, 10), wd(1)).calendar_missing


# --- overrides, the 24/7 calendar ----------------------------------------------------------------------


def test_per_date_overrides_with_and_without_their_own_hours():
    typhoon = DateOverride(date(2026, 3, 9), DayKind.REST, note="typhoon")
    saturday = DateOverride(date(2026, 3, 7), DayKind.WORKDAY, hours=((time(9), time(12)),))
    cal = WorkingCalendar(days=DayTable(overrides=(typhoon,)))
    assert due(cal, at(2026, 3, 6, 10), wd(1)) == at(2026, 3, 10, 17, 30)
    assert due(cal, at(2026, 3, 6, 17), wh(1)) == at(2026, 3, 10, 9)
    cal = WorkingCalendar(days=DayTable(overrides=(saturday,)))
    assert cal.hours_on(date(2026, 3, 7)) == ((time(9), time(12)),)
    assert due(cal, at(2026, 3, 6, 10), wd(1)) == at(2026, 3, 7, 12)
    assert due(cal, at(2026, 3, 6, 10), wh(12)) == at(2026, 3, 9, 11, 30)  # 6 h + 3 h + 3 h
    assert working_minutes_between(cal, at(2026, 3, 7), at(2026, 3, 8)).minutes == 180
    # a short day on an official working day, and a holiday made a working day
    short = DateOverride(date(2026, 3, 10), DayKind.WORKDAY, hours=((time(8, 30), time(11)),))
    duty = DateOverride(date(2026, 10, 2), DayKind.WORKDAY)
    cal = WorkingCalendar(days=DayTable(overrides=(short, duty)))
    assert due(cal, at(2026, 3, 9, 17), wh(3)) == at(2026, 3, 10, 11)  # 0.5 h + the short 2.5 h
    assert due(cal, at(2026, 3, 9, 17), wh(4)) == at(2026, 3, 11, 9, 30)
    assert due(cal, at(2026, 9, 30, 10), wd(1)) == at(2026, 10, 2, 17, 30)


def test_an_org_units_overrides_win_over_the_global_ones():
    glob = DayTable(overrides=(DateOverride(date(2026, 3, 9), DayKind.REST),))
    unit = glob.with_overrides([DateOverride(date(2026, 3, 9), DayKind.WORKDAY)])
    assert WorkingCalendar(days=glob).day_kind(date(2026, 3, 9)) is DayKind.REST
    assert WorkingCalendar(days=unit).day_kind(date(2026, 3, 9)) is DayKind.WORKDAY


def test_the_24_7_hotline_calendar_counts_every_minute_holidays_included():
    start = at(2026, 2, 16, 10)  # Spring Festival
    assert due(HOTLINE, start, wh(12)) == at(2026, 2, 16, 22)
    assert due(HOTLINE, start, Duration(5, Unit.WORKING_MINUTES)) == at(2026, 2, 16, 10, 5)
    assert due(HOTLINE, start, wd(1)) == at(2026, 2, 18)  # the end of the next day
    assert due(HOTLINE, start, wd(0)) == at(2026, 2, 17)
    assert working_minutes_between(HOTLINE, start, at(2026, 2, 17, 10)).minutes == 24 * 60
    assert next_open(HOTLINE, start).at == start
    assert HOTLINE.day_kind(date(2030, 1, 1)) is DayKind.WORKDAY
    assert HOTLINE.is_open(at(2030, 1, 1, 3)) is True


def test_a_calendar_open_until_midnight():
    late = WorkingCalendar(hours=((time(18), time(0)),))
    assert due(late, at(2026, 3, 9, 23), wh(1)) == at(2026, 3, 10)
    assert due(late, at(2026, 3, 9, 23), wh(2)) == at(2026, 3, 10, 19)
    assert due(late, at(2026, 3, 9, 12), wd(0)) == at(2026, 3, 10)
    assert late.hours_on(date(2026, 3, 9)) == ((time(18), time(0)),)


# --- input checks --------------------------------------------------------------------------------------


def test_durations_are_checked():
    assert Duration(3, "working_days").unit is Unit.WORKING_DAYS
    assert Duration.parse("1.5 working_hours") == Duration(1.5, Unit.WORKING_HOURS)
    assert due(OFFICE, at(2026, 3, 9, 8, 30), Duration.parse("1.5 working_hours")) == at(
        2026, 3, 9, 10
    )
    with pytest.raises(ValueError):
        Duration(-1, Unit.WORKING_HOURS)
    with pytest.raises(ValueError):
        Duration(1.5, Unit.WORKING_DAYS)
    with pytest.raises(TypeError):
        Duration(True, Unit.WORKING_DAYS)
    with pytest.raises(ValueError):
        Duration(1, "fortnights")
    with pytest.raises(ValueError):
        _ = wd(1).delta
    assert wh(1.5).delta == timedelta(minutes=90)


def test_hours_and_tables_are_checked():
    with pytest.raises(ValueError):
        WorkingCalendar(hours=((time(12), time(8)),))
    with pytest.raises(ValueError):
        WorkingCalendar(hours=((time(8), time(12)), (time(11), time(13))))
    with pytest.raises(ValueError):
        WorkingCalendar(hours=())
    with pytest.raises(ValueError):
        DateOverride(date(2026, 3, 9), DayKind.REST, hours=((time(8), time(9)),))
    with pytest.raises(ValueError):
        DateOverride(date(2026, 3, 9), DayKind.UNKNOWN)
    with pytest.raises(ValueError):
        YearTable(2027, holidays=frozenset({date(2026, 1, 1)}))
    with pytest.raises(ValueError):
        DayTable(years=(ADMIN_2027, ADMIN_2027))
    touching = WorkingCalendar(hours=((time(8), time(12)), (time(12), time(13))))
    assert touching.hours_on(date(2026, 3, 9)) == ((time(8), time(13)),)


def test_the_calendar_module_is_pure_python():
    root = Path(__file__).resolve().parent.parent
    code = (
        "import sys, complaintdesk.sla.calendar as c; "
        "c.deadline(c.WorkingCalendar(), __import__('datetime').datetime.now(c.UTC), "
        "c.Duration(1, 'working_days')); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'django'); "
        "assert not bad, bad"
    )
    run = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr


# --- the slow reference ------------------------------------------------------------------------------------


class Missing(Exception):
    def __init__(self, year: int) -> None:
        self.year = year


class Reference:
    """Obviously correct, and slow: walks minute by minute and day by day over naive local times.
    `kind(d)` is 'work', 'rest' or None (unknown); hours are (open, close) minutes of the day."""

    def __init__(self, kind, hours):
        self._kind = functools.cache(kind)
        self._hours = hours

    def kind(self, d: date) -> str:
        k = self._kind(d)
        if k is None:
            raise Missing(d.year)
        return k

    def open_minute(self, t: datetime) -> bool:
        if self.kind(t.date()) == "rest":
            return False
        m = t.hour * 60 + t.minute
        return any(o <= m < c for o, c in self._hours(t.date()))

    def close(self, d: date) -> datetime:
        return datetime.combine(d, time(0)) + timedelta(minutes=self._hours(d)[-1][1])

    def working_minutes(self, start: datetime, n: int):
        try:
            t, left = start, n
            while left:
                left -= self.open_minute(t)
                t += MIN
            return t
        except Missing as missing:
            return missing.year

    def working_days(self, start: datetime, n: int):
        try:
            d = start.date()
            if n == 0:
                if self.kind(d) == "work" and start < self.close(d):
                    return self.close(d)
                n = 1
            while n:
                d += DAY
                n -= self.kind(d) == "work"
            return self.close(d)
        except Missing as missing:
            return missing.year

    def between(self, a: datetime, b: datetime):
        try:
            if b < a:
                back = self.between(a=b, b=a)
                return back if isinstance(back, tuple) else -back
            count, t = 0, a
            while t < b:
                count += self.open_minute(t)
                t += MIN
            return count
        except Missing as missing:
            return ("missing", missing.year)

    def next_open(self, t: datetime):
        try:
            while not self.open_minute(t):
                t += MIN
            return t
        except Missing as missing:
            return missing.year


def _official_kind(d: date) -> str | None:
    try:
        return "work" if chinese_calendar.is_workday(d) else "rest"
    except NotImplementedError:
        return None


OFFICE_REF = Reference(_official_kind, lambda d: ((510, 720), (810, 1050)))


def answer(result):
    """An implementation's DeadlineResult in the reference's terms: a naive local time or the year."""
    if result.calendar_missing:
        assert result.at is None and len(result.missing_years) == 1
        return result.missing_years[0]
    assert result.at.tzinfo is SH
    return result.at.replace(tzinfo=None)


def minutes(n: int) -> Duration:
    return Duration(n, Unit.WORKING_MINUTES)


# --- strategies ------------------------------------------------------------------------------------------

# whole-minute local starts through 2026, with extra weight on the two golden holidays and on New Year's Eve
BOUNDARIES = [time(0), time(8, 29), time(8, 30), time(12), time(13, 30), time(17, 29), time(17, 30)]
local_2026 = st.one_of(
    st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31, 23, 59)),
    st.builds(
        datetime.combine,
        st.dates(date(2026, 1, 1), date(2026, 12, 31)),
        st.sampled_from(BOUNDARIES),
    ),
    st.datetimes(datetime(2026, 2, 10), datetime(2026, 3, 2)),
    st.datetimes(datetime(2026, 9, 17), datetime(2026, 10, 12)),
    st.datetimes(datetime(2026, 12, 24), datetime(2026, 12, 31, 23, 59)),
).map(lambda t: t.replace(second=0, microsecond=0))


@st.composite
def hours_strategy(draw):
    """1-3 intervals on a 15-minute grid, possibly closing at 24:00."""
    marks = sorted(draw(st.sets(st.integers(0, 96), min_size=2, max_size=6)))
    if len(marks) % 2:
        marks = marks[:-1]
    return tuple((marks[i] * 15, marks[i + 1] * 15) for i in range(0, len(marks), 2))


def to_times(hours):
    def t(m):
        return time(0) if m == 1440 else time(m // 60, m % 60)

    return tuple((t(o), t(c)) for o, c in hours)


WINDOW = (date(2030, 12, 1), date(2032, 1, 20))  # 2030 and 2031 entered by the admin; 2032 unknown


@st.composite
def synthetic(draw):
    """A random calendar on synthetic year tables (no library), with overrides, and its reference."""
    hours = draw(hours_strategy())
    known = st.dates(WINDOW[0], date(2031, 12, 31))
    holidays = draw(st.sets(known, max_size=40))
    workdays = draw(st.sets(known, max_size=12)) - holidays
    overrides = draw(
        st.dictionaries(
            st.dates(*WINDOW),
            st.tuples(st.sampled_from(["work", "rest"]), st.none() | hours_strategy()),
            max_size=8,
        )
    )
    years = tuple(
        YearTable(
            y,
            holidays=frozenset(d for d in holidays if d.year == y),
            workdays=frozenset(d for d in workdays if d.year == y),
        )
        for y in (2030, 2031)
    )
    rows = tuple(
        DateOverride(
            d,
            DayKind.WORKDAY if k == "work" else DayKind.REST,
            hours=to_times(h) if k == "work" and h else None,
        )
        for d, (k, h) in overrides.items()
    )
    cal = WorkingCalendar(
        hours=to_times(hours), days=DayTable(years=years, overrides=rows, official=None)
    )

    def kind(d):
        if d in overrides:
            return overrides[d][0]
        if d.year not in (2030, 2031):
            return None
        if d in workdays:
            return "work"
        return "rest" if d in holidays or d.weekday() >= 5 else "work"

    def day_hours(d):
        if d in overrides and overrides[d][0] == "work" and overrides[d][1]:
            return overrides[d][1]
        return hours

    daily = sum(c - o for o, c in hours)
    return cal, Reference(kind, day_hours), daily


synthetic_start = st.one_of(
    st.integers(0, 30 * 1440).map(lambda m: datetime(2030, 12, 15) + m * MIN),
    st.integers(0, 25 * 1440).map(lambda m: datetime(2031, 12, 12) + m * MIN),
)


# --- properties against the reference ------------------------------------------------------------------


@IGNORE_MISSING
@PROPS
@given(start=local_2026, n=st.integers(0, 2000), utc=st.booleans())
def test_official_working_minutes_agree_with_the_reference(start, n, utc):
    aware = start.replace(tzinfo=SH)
    result = deadline(OFFICE, aware.astimezone(UTC) if utc else aware, minutes(n))
    assert answer(result) == OFFICE_REF.working_minutes(start, n)


@IGNORE_MISSING
@PROPS
@given(start=local_2026, n=st.integers(0, 6))
def test_official_working_days_agree_with_the_reference(start, n):
    result = deadline(OFFICE, start.replace(tzinfo=SH), wd(n))
    assert answer(result) == OFFICE_REF.working_days(start, n)


@IGNORE_MISSING
@PROPS
@given(a=local_2026, span=st.integers(-15 * 1440, 15 * 1440))
def test_official_working_minutes_between_agree_with_the_reference(a, span):
    b = a + span * MIN
    result = working_minutes_between(OFFICE, a.replace(tzinfo=SH), b.replace(tzinfo=SH))
    expected = OFFICE_REF.between(a, b)
    if isinstance(expected, tuple):
        assert result.calendar_missing and expected[1] in result.missing_years
    else:
        assert result.minutes == expected


@IGNORE_MISSING
@PROPS
@given(t=local_2026)
def test_official_next_open_agrees_with_the_reference(t):
    assert answer(next_open(OFFICE, t.replace(tzinfo=SH))) == OFFICE_REF.next_open(t)


@IGNORE_MISSING
@PROPS
@given(data=st.data(), calendar=synthetic(), start=synthetic_start)
def test_synthetic_calendars_agree_with_the_reference(data, calendar, start):
    cal, ref, daily = calendar
    n = data.draw(st.integers(0, 3 * daily), label="working minutes")
    assert answer(deadline(cal, start.replace(tzinfo=SH), minutes(n))) == ref.working_minutes(
        start, n
    )
    days = data.draw(st.integers(0, 4), label="working days")
    assert answer(deadline(cal, start.replace(tzinfo=SH), wd(days))) == ref.working_days(
        start, days
    )
    assert answer(next_open(cal, start.replace(tzinfo=SH))) == ref.next_open(start)
    b = start + data.draw(st.integers(0, 6 * 1440), label="span") * MIN
    between = working_minutes_between(cal, start.replace(tzinfo=SH), b.replace(tzinfo=SH))
    expected = ref.between(start, b)
    if isinstance(expected, tuple):
        assert between.calendar_missing and expected[1] in between.missing_years
    else:
        assert between.minutes == expected


# --- properties at microsecond precision ---------------------------------------------------------------

# up to 1 December, so that even the longest durations below stay in 2026
precise_2026 = st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 1)).map(
    lambda t: t.replace(tzinfo=SH)
)
precise_minutes = st.integers(1, 3 * 450 * 60 * 1_000_000).map(lambda us: us / 60_000_000)


def _open_before(cal: WorkingCalendar, t: datetime) -> bool:
    """Whether the instant just before `t` is open: `t` is inside an open interval or at its close."""
    return cal.is_open(t - US) is True


@PROPS
@given(start=precise_2026, n=precise_minutes)
def test_working_time_deadlines_never_fall_in_closed_time_and_round_trip(start, n):
    duration = minutes(n)
    result = deadline(OFFICE, start, duration)
    assert result.at > start and _open_before(OFFICE, result.at)
    assert working_minutes_between(OFFICE, start, result.at).delta == duration.delta


@PROPS
@given(start=precise_2026, n=st.integers(0, 10))
def test_working_day_deadlines_end_at_the_close_of_a_working_day(start, n):
    result = deadline(OFFICE, start, wd(n)).at
    day = result.date()
    assert OFFICE.day_kind(day) is DayKind.WORKDAY
    assert result.timetz().replace(tzinfo=None) == OFFICE.hours_on(day)[-1][1]
    assert result > start and (result.date() > start.date() or n == 0)


@PROPS
@given(
    start=precise_2026,
    later=st.timedeltas(timedelta(0), timedelta(days=20)),
    unit=st.sampled_from([Unit.WORKING_MINUTES, Unit.WORKING_HOURS, Unit.CALENDAR_MINUTES]),
    n=st.integers(0, 3000),
    days=st.integers(0, 8),
)
def test_monotonic_in_the_start(start, later, unit, n, days):
    amount = n / 60 if unit is Unit.WORKING_HOURS else n  # n minutes
    for duration in (Duration(amount, unit), wd(days)):
        assert due(OFFICE, start, duration) <= due(OFFICE, start + later, duration)


@PROPS
@given(
    start=precise_2026, n=st.integers(0, 5000), more=st.integers(0, 5000), days=st.integers(0, 8)
)
def test_monotonic_in_the_duration(start, n, more, days):
    assert due(OFFICE, start, minutes(n)) <= due(OFFICE, start, minutes(n + more))
    assert due(OFFICE, start, wd(days)) <= due(OFFICE, start, wd(days + more % 4))
    assert due(OFFICE, start, wh(1)) <= due(OFFICE, start, wd(1))


@PROPS
@given(a=precise_2026, b=precise_2026, c=precise_2026)
def test_working_time_between_is_additive_and_antisymmetric(a, b, c):
    ab = working_minutes_between(OFFICE, a, b).delta
    bc = working_minutes_between(OFFICE, b, c).delta
    assert ab + bc == working_minutes_between(OFFICE, a, c).delta
    assert working_minutes_between(OFFICE, b, a).delta == -ab


@PROPS
@given(t=precise_2026)
def test_next_open_is_open_and_nothing_is_open_before_it(t):
    opening = next_open(OFFICE, t).at
    assert opening >= t and OFFICE.is_open(opening)
    assert working_minutes_between(OFFICE, t, opening).delta == timedelta(0)


@PROPS
@given(start=precise_2026, n=st.integers(0, 100_000), days=st.integers(0, 10))
def test_the_24_7_calendar_is_plain_elapsed_time(start, n, days):
    assert due(HOTLINE, start, minutes(n)) == start + n * MIN
    assert due(HOTLINE, start, wd(days)) == datetime.combine(
        start.date() + (days + 1) * DAY, time(0), tzinfo=SH
    )
