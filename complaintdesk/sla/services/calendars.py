"""The working calendar of an org unit, built from the admin's rows for the pure arithmetic of
sla/calendar.py.

Which calendar: the Calendar attached (Calendar.org_units) to the nearest org unit up the tree,
else the `is_default` one, else the built-in default (08:30-12:00, 13:30-17:30, Asia/Shanghai).
Which days: the official table of chinese_calendar, every CalendarYear row (they win over the
library: a year it does not cover yet, or a correction), and the CalendarOverride rows — the
global ones, then those of the unit's ancestors and of the unit itself, the nearest winning.
A date that none of them covers is UNKNOWN: deadlines reaching into it are flagged "calendar
missing", never counted as ordinary weekdays.

Cost: tickets never pay for a calendar. Each process keeps one snapshot of the calendar tables
(calendars and their units, years, overrides, plus every org unit's path and every department's
unit: small tables) and the calendars built from it. Built calendars are shared by every unit
with the same calendar and the same overrides, so their per-year arrays are built once.

Freshness: at most every SLA_CACHE_SECONDS (default 30) the next caller reloads the rows (six
small queries) and compares them with the snapshot; only a difference drops the built
calendars. So an edit anywhere (the admin, a shell, another process, even rows changed with
`update()`) is seen within that time, with no schema change and no signal. The admin also
calls `sla_config_changed()` (services/policies.py) after a save: the edit then holds at once
in that process.
"""

from __future__ import annotations

import logging
import threading
import time as monotonic_time
from dataclasses import dataclass, field
from datetime import date, time
from zoneinfo import ZoneInfo

from django.conf import settings

from complaintdesk.org.models import Department, OrgUnit
from complaintdesk.sla.calendar import (
    DEFAULT_HOURS,
    DEFAULT_TZ,
    DateOverride,
    DayKind,
    DayTable,
    WorkingCalendar,
    YearTable,
)
from complaintdesk.sla.models import Calendar, CalendarOverride, CalendarYear

log = logging.getLogger(__name__)

BUILT_IN_NAME = "内置默认工作时间"
BUILT_IN_NAME_EN = "Built-in default business hours"


def cache_seconds() -> float:
    return float(getattr(settings, "SLA_CACHE_SECONDS", 30))


# -- parsing admin values ------------------------------------------------------------------

def parse_clock_time(text: str, *, closing: bool = False) -> time:
    """'08:30' → time(8, 30); '24:00' (a close at midnight) → time(0)."""
    parts = str(text).strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a time of day (HH:MM): {text!r}")
    h, m = int(parts[0]), int(parts[1])
    s = int(parts[2]) if len(parts) == 3 else 0
    if closing and (h, m, s) == (24, 0, 0):
        return time(0)
    return time(h, m, s)


def parse_hours(value) -> tuple[tuple[time, time], ...]:
    """[["08:30", "12:00"], ["13:30", "17:30"]] → wall-clock intervals; ValueError if malformed
    (the admin form uses this to validate, the builder to read)."""
    if not isinstance(value, list | tuple) or not value:
        raise ValueError("business hours are a non-empty list of [open, close] pairs")
    out = []
    for pair in value:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError(f"not an [open, close] pair: {pair!r}")
        out.append((parse_clock_time(pair[0]), parse_clock_time(pair[1], closing=True)))
    hours = tuple(out)
    WorkingCalendar(hours=hours)  # validates order and overlaps
    return hours


def _dates(values, year: int | None = None) -> frozenset[date]:
    if not isinstance(values, list | tuple):
        raise ValueError("a list of dates (YYYY-MM-DD)")
    return frozenset(date.fromisoformat(str(v)) for v in values)


def year_table_from(year: int, holidays, workdays) -> YearTable:
    return YearTable(year=year, holidays=_dates(holidays), workdays=_dates(workdays), source="admin")


def override_from(day: date, kind: str, hours) -> DateOverride:
    return DateOverride(day=day, kind=DayKind(kind),
                        hours=None if hours in (None, [], "") else parse_hours(hours))


# -- the snapshot --------------------------------------------------------------------------

@dataclass(frozen=True)
class CalendarInfo:
    """A built calendar and where it comes from (for the clocks' explanations)."""

    calendar: WorkingCalendar
    id: int | None
    name: str
    name_en: str
    always_open: bool
    hours: tuple[tuple[str, str], ...]
    time_zone: str
    org_unit_id: int | None
    org_unit_code: str | None

    def explain(self) -> dict:
        return {
            "id": self.id, "name": self.name, "name_en": self.name_en,
            "always_open": self.always_open, "hours": [list(h) for h in self.hours],
            "time_zone": self.time_zone,
            "org_unit": {"id": self.org_unit_id, "code": self.org_unit_code},
        }


@dataclass(frozen=True)
class _CalendarRow:
    id: int | None
    name: str
    name_en: str
    always_open: bool
    hours: tuple[tuple[time, time], ...]
    hours_text: tuple[tuple[str, str], ...]
    tz: ZoneInfo
    time_zone: str


def _hhmm(t: time, closing: bool = False) -> str:
    if closing and t == time(0):
        return "24:00"
    return t.strftime("%H:%M") if not t.second else t.strftime("%H:%M:%S")


def _calendar_row(row) -> _CalendarRow:
    pk, name, name_en, always_open, hours, time_zone = row[:6]
    try:
        tz = ZoneInfo(time_zone or DEFAULT_TZ)
    except Exception:
        log.error("working calendar %s (%s): unknown time zone %r, using %s", pk, name, time_zone, DEFAULT_TZ)
        tz, time_zone = ZoneInfo(DEFAULT_TZ), DEFAULT_TZ
    parsed = DEFAULT_HOURS
    if not always_open:
        try:
            parsed = parse_hours(hours)
        except (ValueError, TypeError) as exc:
            log.error("working calendar %s (%s): business hours %r are invalid (%s); using the "
                      "built-in default hours", pk, name, hours, exc)
    text = () if always_open else tuple((_hhmm(o), _hhmm(c, True)) for o, c in parsed)
    return _CalendarRow(pk, name, name_en, bool(always_open), parsed, text, tz, time_zone or DEFAULT_TZ)


_BUILT_IN = _CalendarRow(None, BUILT_IN_NAME, BUILT_IN_NAME_EN, False, DEFAULT_HOURS,  # type: ignore[arg-type]
                         tuple((_hhmm(o), _hhmm(c, True)) for o, c in DEFAULT_HOURS),
                         ZoneInfo(DEFAULT_TZ), DEFAULT_TZ)


def _load_rows() -> tuple:
    """Everything a calendar depends on, as plain comparable tuples (six small queries)."""
    return (
        tuple(Calendar.objects.order_by("id").values_list(
            "id", "name", "name_en", "always_open", "hours", "time_zone", "is_default")),
        tuple(Calendar.org_units.through.objects.order_by("id").values_list("calendar_id", "orgunit_id")),
        tuple(CalendarYear.objects.order_by("year").values_list("year", "holidays", "workdays")),
        tuple(CalendarOverride.objects.order_by("id").values_list("day", "org_unit_id", "kind", "hours")),
        tuple(OrgUnit.objects.order_by("id").values_list("id", "path", "code")),
        tuple(Department.objects.order_by("id").values_list("id", "org_unit_id")),
    )


@dataclass
class _Config:
    rows: tuple
    calendars: dict[int, _CalendarRow] = field(default_factory=dict)
    default: _CalendarRow = _BUILT_IN
    attached: list[tuple[str, int]] = field(default_factory=list)  # (unit path, calendar id)
    years: tuple[YearTable, ...] = ()
    global_overrides: tuple[DateOverride, ...] = ()
    unit_overrides: dict[str, tuple[DateOverride, ...]] = field(default_factory=dict)  # by unit path
    units: dict[int, tuple[str, str]] = field(default_factory=dict)  # id → (path, code)
    departments: dict[int, int] = field(default_factory=dict)  # id → org unit id
    built: dict[tuple, WorkingCalendar] = field(default_factory=dict)
    per_unit: dict[int | None, CalendarInfo] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: tuple) -> _Config:
        calendars, attachments, years, overrides, units, departments = rows
        config = cls(rows=rows)
        config.units = {pk: (path, code) for pk, path, code in units}
        config.departments = dict(departments)
        defaults = []
        for row in calendars:
            parsed = _calendar_row(row)
            config.calendars[parsed.id] = parsed
            if row[6]:
                defaults.append(parsed)
        if defaults:
            config.default = defaults[0]
            if len(defaults) > 1:
                log.warning("%d working calendars are marked default; using %s (id %s)",
                            len(defaults), defaults[0].name, defaults[0].id)
        config.attached = sorted(
            ((config.units[unit_id][0], calendar_id) for calendar_id, unit_id in attachments
             if unit_id in config.units),
            key=lambda a: (-len(a[0]), a[1]),
        )
        tables = []
        for year, holidays, workdays in years:
            try:
                tables.append(year_table_from(year, holidays, workdays))
            except (ValueError, TypeError) as exc:
                # Left out: the year then counts as missing, which is loud, not wrong.
                log.error("calendar year %s is invalid (%s): left out", year, exc)
        config.years = tuple(tables)
        by_unit: dict[str | None, dict[date, DateOverride]] = {}
        for day, unit_id, kind, hours in overrides:
            try:
                override = override_from(day, kind, hours)
            except (ValueError, TypeError) as exc:
                log.error("calendar override %s (unit %s) is invalid (%s): left out", day, unit_id, exc)
                continue
            path = config.units[unit_id][0] if unit_id is not None and unit_id in config.units else None
            if unit_id is not None and path is None:
                continue
            by_unit.setdefault(path, {})[day] = override
        config.global_overrides = tuple(by_unit.pop(None, {}).values())
        config.unit_overrides = {path: tuple(days.values()) for path, days in by_unit.items()}
        return config

    def info_for_unit(self, unit_id: int | None) -> CalendarInfo:
        info = self.per_unit.get(unit_id)
        if info is not None:
            return info
        path, code = self.units.get(unit_id, ("", None)) if unit_id is not None else ("", None)
        row = self.default
        if path:
            for unit_path, calendar_id in self.attached:
                if path.startswith(unit_path):
                    row = self.calendars[calendar_id]
                    break
        scope = tuple(sorted((p for p in self.unit_overrides if path and path.startswith(p)), key=len))
        key = (row.id, scope)
        calendar = self.built.get(key)
        if calendar is None:
            days = DayTable(years=self.years, overrides=self.global_overrides)
            for unit_path in scope:  # root first: the nearest unit's override wins
                days = days.with_overrides(self.unit_overrides[unit_path])
            calendar = WorkingCalendar(tz=row.tz, hours=row.hours, always_open=row.always_open,
                                       days=days, name=row.name)
            self.built[key] = calendar
        info = CalendarInfo(calendar=calendar, id=row.id, name=row.name, name_en=row.name_en,
                            always_open=row.always_open, hours=row.hours_text,
                            time_zone=row.time_zone, org_unit_id=unit_id, org_unit_code=code)
        self.per_unit[unit_id] = info
        return info


class _Cache:
    def __init__(self):
        self.lock = threading.Lock()
        self.config: _Config | None = None
        self.checked = 0.0

    def get(self, *, force: bool = False) -> _Config:
        config = self.config
        if config is not None and not force and monotonic_time.monotonic() - self.checked < cache_seconds():
            return config
        with self.lock:
            rows = _load_rows()
            if self.config is None or rows != self.config.rows:
                self.config = _Config.from_rows(rows)
            self.checked = monotonic_time.monotonic()
            return self.config

    def clear(self):
        with self.lock:
            self.config = None
            self.checked = 0.0


_cache = _Cache()


def calendar_cache_clear() -> None:
    """Forget this process's calendars: the next use reloads (after an admin edit)."""
    _cache.clear()


def calendar_for_unit(unit_id: int | None) -> CalendarInfo:
    """The working calendar of an org unit; no query unless the snapshot is due a check."""
    config = _cache.get()
    if unit_id is not None and unit_id not in config.units:
        config = _cache.get(force=True)  # a unit created since the snapshot
    return config.info_for_unit(unit_id)


def calendar_for_department(department_id: int | None) -> CalendarInfo | None:
    """The working calendar of a department's org unit (None without a department)."""
    if department_id is None:
        return None
    config = _cache.get()
    if department_id not in config.departments:
        config = _cache.get(force=True)
    unit_id = config.departments.get(department_id)
    if unit_id is not None and unit_id not in config.units:
        config = _cache.get(force=True)
    return config.info_for_unit(unit_id)
