"""The statistics vocabulary: the dimensions a table can be cut by, the periods, the
measures of the roll-up and the bases of the normalised rates. Pure Python."""

from django.utils.translation import gettext_lazy as _

from complaintdesk.core.choices import LabelledEnum


class Dimension(LabelledEnum):
    KIND = "kind"
    CATEGORY = "category"  # at a chosen level of the tree
    CAUSE = "cause"
    RESPONSIBLE_DEPARTMENT = "responsible_department"
    LEAD_DEPARTMENT = "lead_department"
    ORG_UNIT = "org_unit"  # at a chosen level of the tree
    CHANNEL = "channel"
    SOURCE_TIER = "source_tier"
    SEVERITY = "severity"
    STATE = "state"
    SATISFACTION = "satisfaction"
    PERIOD = "period"  # day / week / month / report month

    @classmethod
    def _labels(cls):
        return {
            cls.KIND: _("Kind"),
            cls.CATEGORY: _("Category"),
            cls.CAUSE: _("Cause"),
            cls.RESPONSIBLE_DEPARTMENT: _("Responsible department"),
            cls.LEAD_DEPARTMENT: _("Lead department"),
            cls.ORG_UNIT: _("Org unit"),
            cls.CHANNEL: _("Channel"),
            cls.SOURCE_TIER: _("Source tier"),
            cls.SEVERITY: _("Severity"),
            cls.STATE: _("State"),
            cls.SATISFACTION: _("Satisfaction"),
            cls.PERIOD: _("Period"),
        }


class Period(LabelledEnum):
    DAY = "day"
    WEEK = "week"  # ISO weeks, Monday first
    MONTH = "month"  # calendar months
    REPORT_MONTH = "report_month"  # the 26th of the previous month to the 25th (003)

    @classmethod
    def _labels(cls):
        return {
            cls.DAY: _("Day"),
            cls.WEEK: _("Week"),
            cls.MONTH: _("Calendar month"),
            cls.REPORT_MONTH: _("Report month (26th to 25th)"),
        }


# The counters of the roll-up, one column each (stats/models.py DailyCount). Each counts the
# tickets registered on the row's day that have the property today (as of the refresh).
MEASURES = (
    "registered",  # every ticket
    "closed",  # closed or archived
    "closed_on_time",  # closed and no deadline missed
    "acknowledged",  # a department signed for it
    "acknowledged_in_time",  # … and its acknowledge deadline was not missed
    "called_back",  # at least one callback recorded (every callback records a satisfaction)
    "satisfied",  # the last callback: satisfied
    "dissatisfied",  # the last callback: dissatisfied
    "on_spot",  # resolved on the spot at first contact
    "repeat",  # a repeat complaint (repeat_of set)
    "over_the_head",  # came from a higher tier after a direct complaint
    "breached",  # a deadline was missed (any clock)
    "audit_rejected",  # rejected in audit at least once
    "redispatched",  # dispatched more than once (re-dispatch, transfer)
    "escalated",  # entered in the complaint ledger (escalated to the supervisor)
    "reopened",  # reopened at least once (a dissatisfied customer)
    "handled",  # closed, with its handling time on the working calendar known
    "handling_minutes",  # the sum of those handling times, in working minutes
    "calendar_missing",  # closed, but the handling time crosses a year with no calendar
)


class BaseKind(LabelledEnum):
    """What a customer base counts (万投比 and the regulators' normalised rates)."""

    CUSTOMERS = "customers"  # 万投比: per 10,000 customers
    USERS = "users"  # MIIT: per million users
    PARCELS = "parcels"  # State Post Bureau: per million parcels
    PREMIUM = "premium"  # NFRA: per CNY 100 m of premium (the base is in CNY)
    POLICIES = "policies"  # NFRA: per 10,000 policies
    INSURED = "insured"  # NFRA: per 10,000 insured persons

    @classmethod
    def _labels(cls):
        return {
            cls.CUSTOMERS: _("Customers (per 10,000)"),
            cls.USERS: _("Users (per million, MIIT)"),
            cls.PARCELS: _("Parcels (per million, post)"),
            cls.PREMIUM: _("Premium in CNY (per CNY 100 million, NFRA)"),
            cls.POLICIES: _("Policies (per 10,000, NFRA)"),
            cls.INSURED: _("Insured persons (per 10,000, NFRA)"),
        }


# How many units of the base one rate is counted per.
BASE_SCALE = {
    BaseKind.CUSTOMERS: 10_000,
    BaseKind.USERS: 1_000_000,
    BaseKind.PARCELS: 1_000_000,
    BaseKind.PREMIUM: 100_000_000,
    BaseKind.POLICIES: 10_000,
    BaseKind.INSURED: 10_000,
}


class ThresholdDirection(LabelledEnum):
    """Whether a figure crosses its control threshold by going above it (a complaint rate) or
    below it (a satisfaction rate)."""

    ABOVE = "above"
    BELOW = "below"

    @classmethod
    def _labels(cls):
        return {cls.ABOVE: _("Alert when above"), cls.BELOW: _("Alert when below")}
