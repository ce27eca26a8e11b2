"""The demo's working calendars and deadline policies, as plain data (like catalogue.py).

The figures are the seeds' own (domain.md "Deadlines and escalation"):

- 001 (a parcel service centre): forward to the department within 5 minutes of the first
  report; the handler finishes within 12 hours; if not, a progress report within 24 hours
  (its parcel desk: by 17:00 each day); not finished 24 hours after the first report →
  the customer-service supervisor (ledger and case dossier). The 24-hour escalation is the
  handling clock's ladder: 12 hours late is 24 hours after the first report, since the ticket
  is forwarded within minutes of it. 001 is the default for complaints and for the parcel tree.
- 003 (an insurer), in working days, for the claims tree: company service problems — transfer
  within 1 working day, chase the answer within 3, tell the customer within 1 working day of
  the answer (product problems follow the same pattern); special (major) cases — within 1
  working day gather the whole history and everyone involved, every step reported upward.
  Sales-staff service problems (transfer within 1, chase within 3, contact the customer within
  3 working days of the answer) are the demo's marketing tree: sales promises and promotions.
- Everything the seeds give no figure for (acknowledging, replying and calling back after a
  complaint, the other ticket kinds) takes the baseline policy, a modest demo default, so each
  clock of a ticket shows where its rule comes from.

Calendars: the provincial company's business hours (08:30-12:00, 13:30-17:30) are the default
and belong to the province, so every unit has them; Yunxi city keeps its own hours (09:00-12:00,
13:00-17:00), which its claims office and its customers' tickets follow. There is no 24/7
calendar: the hotline centre sits at the province root, and a calendar given to the root would
also be every department's and every customer unit's; the centre's own clocks are counted in
calendar minutes and hours (001), which no calendar changes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CALENDARS", "POLICIES", "CalendarSpec", "PolicySpec", "RuleSpec"]

STANDARD_HOURS = (("08:30", "12:00"), ("13:30", "17:30"))


@dataclass(frozen=True)
class CalendarSpec:
    name: str
    name_en: str
    hours: tuple[tuple[str, str], ...] = STANDARD_HOURS
    always_open: bool = False
    is_default: bool = False
    org_units: tuple[str, ...] = ()  # org unit codes: they and their subtree use it


@dataclass(frozen=True)
class RuleSpec:
    clock: str  # sla.vocabulary.ClockType
    amount: str  # a decimal number
    unit: str  # sla.vocabulary.DurationUnit
    daily_at: str | None = None  # "17:00": a progress report due daily by then
    warn_share: str = "0.8"
    # [(minutes after the deadline, whom to notify)]: sla.vocabulary.EscalationTarget
    ladder: tuple[tuple[int, str], ...] = ()

    def ladder_json(self) -> list[dict]:
        return [{"after_minutes": minutes, "notify": target} for minutes, target in self.ladder]


@dataclass(frozen=True)
class PolicySpec:
    name: str
    name_en: str
    rules: tuple[RuleSpec, ...]
    kind: str = ""
    category: str = ""  # category code: it and its subtree
    severity: str = ""
    channel: str = ""
    priority: int = 0
    source: str = ""  # where the figures come from


CALENDARS: tuple[CalendarSpec, ...] = (
    CalendarSpec("江南省公司标准工作时间", "Jiangnan standard business hours",
                 is_default=True, org_units=("jn",)),
    CalendarSpec("云溪市分公司工作时间", "Yunxi City business hours",
                 hours=(("09:00", "12:00"), ("13:00", "17:00")), org_units=("jn-yunxi",)),
)

R = RuleSpec
TO_SUPERVISOR = ((0, "supervisor"),)

POLICIES: tuple[PolicySpec, ...] = (
    PolicySpec(
        "通用时限", "Baseline deadlines",
        source="demo default where the seeds give no figure",
        rules=(
            R("dispatch", "4", "working_hours"),
            R("acknowledge", "4", "working_hours", ladder=((0, "assignee"),)),
            R("handle", "3", "working_days", ladder=((0, "assignee"), (480, "dept_head"))),
            R("reply", "1", "working_days", ladder=TO_SUPERVISOR),
            R("callback", "3", "working_days"),
            R("ticket", "10", "working_days", ladder=((0, "supervisor"), (2880, "leader"))),
        ),
    ),
    PolicySpec(
        "投诉处理时限（五分钟转交、十二小时处理）", "Complaints: forward in 5 minutes, handle in 12 hours",
        kind="complaint", source="001",
        rules=(
            R("dispatch", "5", "calendar_minutes", ladder=TO_SUPERVISOR),
            # 12 h to handle; 12 h later (24 h after the first report) the supervisor is told.
            R("handle", "12", "calendar_hours", ladder=((0, "assignee"), (720, "supervisor"))),
            R("progress", "24", "calendar_hours", ladder=((0, "assignee"),)),
        ),
    ),
    PolicySpec(
        "包裹投诉时限（每日17:00前报进展）", "Parcel complaints: progress daily by 17:00",
        category="parcel", source="001",
        rules=(
            R("dispatch", "5", "calendar_minutes", ladder=TO_SUPERVISOR),
            R("handle", "12", "calendar_hours", ladder=((0, "assignee"), (720, "supervisor"))),
            R("progress", "1", "calendar_hours", daily_at="17:00", ladder=((0, "assignee"),)),
        ),
    ),
    PolicySpec(
        "理赔投诉时限（公司服务及产品问题）", "Claims complaints: company service and product problems",
        category="claims", source="003",
        rules=(
            R("dispatch", "1", "working_days", ladder=TO_SUPERVISOR),
            R("handle", "3", "working_days", ladder=((0, "assignee"), (480, "dept_head"))),
            R("progress", "1", "working_days", ladder=((0, "assignee"),)),
            R("reply", "1", "working_days", ladder=TO_SUPERVISOR),
            R("ticket", "5", "working_days", ladder=((0, "supervisor"), (1440, "leader"))),
        ),
    ),
    PolicySpec(
        "营销投诉时限（销售人员服务问题）", "Marketing complaints: sales-staff service problems",
        category="marketing", source="003",
        rules=(
            R("dispatch", "1", "working_days", ladder=TO_SUPERVISOR),
            R("handle", "3", "working_days", ladder=((0, "assignee"), (480, "dept_head"))),
            R("reply", "3", "working_days", ladder=TO_SUPERVISOR),
            R("ticket", "7", "working_days", ladder=((0, "supervisor"), (1440, "leader"))),
        ),
    ),
    PolicySpec(
        "特殊、重大投诉（一个工作日）", "Special and major cases: one working day",
        severity="major", priority=10, source="003",
        rules=(
            R("handle", "1", "working_days", warn_share="0.5",
              ladder=((0, "dept_head"), (240, "leader"))),
            R("progress", "1", "working_days", warn_share="0.5", ladder=((0, "leader"),)),
        ),
    ),
)
