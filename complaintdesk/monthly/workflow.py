"""PURE rules of reports and bulletins: the document lifecycle (who may take which step in
which state) and the report periods with their due and reminder days. No ORM.

Lifecycle: draft (generated; the owner refreshes the figures and writes the analysis) →
submitted → approved by a leader → published, frozen. A leader may return a submitted or
approved document to the draft with a reason. The approver is never the owner (four eyes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.roles import Role
from complaintdesk.monthly.vocabulary import DocAction, DocState, ReportKind
from complaintdesk.sla.calendar import DayKind

S, A = DocState, DocAction

# Who writes reports and bulletins (the centre's supervisors; leaders may too) and who
# approves them (leaders). Administrators may do everything but approve their own.
AUTHOR_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER, Role.ADMIN})
APPROVER_ROLES = frozenset({Role.LEADER, Role.ADMIN})
# Who reads drafts (the authors and approvers) and who reads published documents (also the
# department heads of the unit's subtree, to whom a published bulletin is addressed).
DRAFT_READERS = AUTHOR_ROLES | APPROVER_ROLES
PUBLISHED_READERS = DRAFT_READERS | {Role.DEPT_HEAD}


@dataclass(frozen=True)
class Step:
    target: DocState
    who: str  # "owner": the document's owner (or an administrator); "approver": a leader, not the owner


TABLE: dict[DocState, dict[DocAction, Step]] = {
    S.DRAFT: {
        A.REFRESH: Step(S.DRAFT, "owner"),
        A.EDIT: Step(S.DRAFT, "owner"),
        A.SUBMIT: Step(S.SUBMITTED, "owner"),
    },
    S.SUBMITTED: {
        A.APPROVE: Step(S.APPROVED, "approver"),
        A.RETURN: Step(S.DRAFT, "approver"),
    },
    S.APPROVED: {
        A.PUBLISH: Step(S.PUBLISHED, "owner_or_approver"),
        A.RETURN: Step(S.DRAFT, "approver"),
    },
    S.PUBLISHED: {},
}


@dataclass(frozen=True)
class Actor:
    role: str
    is_owner: bool
    is_superuser: bool = False


def check(state: str, action: str, actor: Actor):
    """None if `actor` may take `action` in `state`, else (code, reason): code is "state"
    (the document is no longer where the form thought) or "role"."""
    step = TABLE.get(DocState(state), {}).get(DocAction(action))
    if step is None:
        return "state", _("This step is not possible while the document is “%(state)s”.") % {
            "state": DocState(state).label}
    admin = actor.role == Role.ADMIN or actor.is_superuser
    owner_ok = actor.is_owner or admin
    approver_ok = (actor.role in APPROVER_ROLES or actor.is_superuser) and not actor.is_owner
    allowed = {"owner": owner_ok, "approver": approver_ok,
               "owner_or_approver": owner_ok or approver_ok}[step.who]
    if not allowed:
        if step.who == "approver" and actor.is_owner:
            return "role", _("The owner of a document cannot approve or return it: another leader must.")
        if step.who == "approver":
            return "role", _("Only a leader may approve or return a document.")
        return "role", _("Only the owner of the document may do this.")
    return None


def allowed_actions(state: str, actor: Actor) -> list[DocAction]:
    return [a for a in TABLE.get(DocState(state), {}) if check(state, a, actor) is None]


# --- periods -------------------------------------------------------------------------------------

PERIOD_END_DAY = 25  # a report month ends on the 25th (003: 上月26日至本月25日)
DUE_DAY = 28  # and is due by the 28th (003: 每月28日前上报)
REMIND_WORKING_DAYS = 2


@dataclass(frozen=True)
class Period:
    kind: ReportKind
    start: dt.date  # both included, local dates
    end: dt.date
    due: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period before (the comparison of period-on-period figures)."""
        if self.kind == ReportKind.MONTHLY:
            return monthly_period(self.start - dt.timedelta(days=1))
        return half_year_period(self.start - dt.timedelta(days=1))


def _month_back(day: dt.date) -> dt.date:
    """The same day-of-month one month earlier (only used for days ≤ 26)."""
    first = day.replace(day=1) - dt.timedelta(days=1)
    return first.replace(day=day.day)


def monthly_period(day: dt.date) -> Period:
    """The report month that contains `day`: 26th of the previous month to the 25th."""
    end = day.replace(day=PERIOD_END_DAY)
    if day.day > PERIOD_END_DAY:
        end = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=PERIOD_END_DAY)
    start = _month_back(end).replace(day=PERIOD_END_DAY + 1)
    return Period(ReportKind.MONTHLY, start, end, end.replace(day=DUE_DAY))


def report_month_ending(year: int, month: int) -> Period:
    """The report month named after the month in which it ends (the "2026-11" report runs
    from 26 October to 25 November)."""
    return monthly_period(dt.date(year, month, PERIOD_END_DAY))


def half_year_period(day: dt.date) -> Period:
    """The half year of report months that contains `day`: 26 December to 25 June (reported
    in July) or 26 June to 25 December (reported in the next January). Due by the 28th of the
    month after it ends, like the monthly reports that month."""
    month = monthly_period(day).end  # the report month `day` falls in, named by its end
    if month.month <= 6:
        end = dt.date(month.year, 6, PERIOD_END_DAY)
        start = dt.date(month.year - 1, 12, PERIOD_END_DAY + 1)
        due = dt.date(month.year, 7, DUE_DAY)
    else:
        end = dt.date(month.year, 12, PERIOD_END_DAY)
        start = dt.date(month.year, 6, PERIOD_END_DAY + 1)
        due = dt.date(month.year + 1, 1, DUE_DAY)
    return Period(ReportKind.HALF_YEAR, start, end, due)


def period_for(kind: str, day: dt.date) -> Period:
    return monthly_period(day) if kind == ReportKind.MONTHLY else half_year_period(day)


def last_finished_period(kind: str, today: dt.date) -> Period:
    """The period a report is written for today: the last one that has ended."""
    current = period_for(kind, today)
    return current if current.end < today else current.previous()


def reminder_day(calendar, due: dt.date, working_days: int = REMIND_WORKING_DAYS) -> tuple[dt.date, bool]:
    """The day the owner is reminded: `working_days` working days before `due` on the unit's
    working calendar (due on the 28th, a Monday: the Thursday before). Returns the day and
    whether the calendar was missing on the way: then unknown days count as calendar days,
    and the reminder says so rather than being skipped."""
    day, counted, missing = due, 0, False
    while counted < working_days:
        day -= dt.timedelta(days=1)
        kind = calendar.day_kind(day)
        if kind is DayKind.UNKNOWN:
            missing = True
            counted += 1
        elif kind is DayKind.WORKDAY:
            counted += 1
    return day, missing


def missing_years(calendar, start: dt.date, end: dt.date) -> list[int]:
    """The years of the period for which the working calendar has no table (a year the
    State Council has not published and no administrator has entered)."""
    years = []
    for year in range(start.year, end.year + 1):
        first = max(start, dt.date(year, 1, 1))
        last = min(end, dt.date(year, 12, 31))
        day = first
        while day <= last:
            if calendar.day_kind(day) is DayKind.UNKNOWN:
                years.append(year)
                break
            day += dt.timedelta(days=1)
    return years
