"""The KPI library: one small pure function per KPI over the roll-up's figures (a mapping of
measure name → sum, stats/vocabulary.py MEASURES), each with the formula shown next to it.
No ORM here: the selectors sum the roll-up, these functions divide. A rate whose
denominator is zero is None (shown as "—"), never 0 % or 100 %."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from complaintdesk.stats.vocabulary import BASE_SCALE, BaseKind, ThresholdDirection

Figures = Mapping[str, int | float]


@dataclass(frozen=True)
class KpiValue:
    code: str
    numerator: float
    denominator: float
    value: float | None  # a share 0..1 for rates, hours for the handling time, per-base for the normalised rates
    note: str = ""  # why a value is missing or partial (e.g. a calendar year not entered)


def _ratio(code: str, num: float, den: float, note: str = "") -> KpiValue:
    return KpiValue(code, num, den, (num / den) if den else None, note)


def _g(f: Figures, name: str) -> float:
    return f.get(name, 0) or 0


def repeat_rate(f: Figures) -> KpiValue:
    """重复投诉率 = repeat complaints ÷ tickets registered."""
    return _ratio("repeat_rate", _g(f, "repeat"), _g(f, "registered"))


def over_the_head_rate(f: Figures) -> KpiValue:
    """越级投诉率 = over-the-head complaints ÷ tickets registered."""
    return _ratio("over_the_head_rate", _g(f, "over_the_head"), _g(f, "registered"))


def closed_on_time_rate(f: Figures) -> KpiValue:
    """按期办结率 = closed on time ÷ closed."""
    return _ratio("closed_on_time_rate", _g(f, "closed_on_time"), _g(f, "closed"))


def acknowledged_in_time_rate(f: Figures) -> KpiValue:
    """及时签收率 = acknowledged in time ÷ acknowledged."""
    return _ratio("acknowledged_in_time_rate", _g(f, "acknowledged_in_time"), _g(f, "acknowledged"))


def satisfaction_rate(f: Figures) -> KpiValue:
    """满意率 = satisfied ÷ callbacks with an answer."""
    return _ratio("satisfaction_rate", _g(f, "satisfied"), _g(f, "called_back"))


def callback_rate(f: Figures) -> KpiValue:
    """回访率 = called back ÷ closed."""
    return _ratio("callback_rate", _g(f, "called_back"), _g(f, "closed"))


def first_contact_resolution_rate(f: Figures) -> KpiValue:
    """首呼解决率 = resolved on the spot ÷ tickets registered."""
    return _ratio("first_contact_resolution_rate", _g(f, "on_spot"), _g(f, "registered"))


def average_handling_hours(f: Figures) -> KpiValue:
    """平均处理时长 = working minutes from registration to close ÷ 60 ÷ closed tickets whose
    time is known. Tickets whose time crosses a year with no working calendar are left out
    and said so."""
    missing = int(_g(f, "calendar_missing"))
    note = ""
    if missing:
        note = str(_("%(n)d closed tickets left out: their handling time crosses a year with no working calendar.")
                   % {"n": missing})
    return _ratio("average_handling_hours", _g(f, "handling_minutes") / 60, _g(f, "handled"), note)


def breach_rate(f: Figures) -> KpiValue:
    """超时率 = tickets with a missed deadline ÷ tickets registered."""
    return _ratio("breach_rate", _g(f, "breached"), _g(f, "registered"))


def audit_rejection_rate(f: Figures) -> KpiValue:
    """驳回率 = tickets rejected in audit ÷ tickets registered."""
    return _ratio("audit_rejection_rate", _g(f, "audit_rejected"), _g(f, "registered"))


def redispatch_rate(f: Figures) -> KpiValue:
    """重派率 = tickets dispatched more than once ÷ tickets registered."""
    return _ratio("redispatch_rate", _g(f, "redispatched"), _g(f, "registered"))


def escalation_rate(f: Figures) -> KpiValue:
    """升级率 = tickets entered in the complaint ledger ÷ tickets registered."""
    return _ratio("escalation_rate", _g(f, "escalated"), _g(f, "registered"))


def per_base(count: float, base: float | None, kind: BaseKind | str) -> KpiValue:
    """Complaints per base unit: 万投比 = complaints ÷ customers × 10⁴; MIIT per million users,
    post per million parcels, NFRA per CNY 100 m premium, per 10,000 policies or insured.
    No base entered → no value (and the note says so)."""
    kind = BaseKind(kind)
    scale = BASE_SCALE[kind]
    if not base:
        return KpiValue(f"per_{kind.value}", count, 0, None, str(_("No base entered for this period.")))
    return KpiValue(f"per_{kind.value}", count, base, count / base * scale)


@dataclass(frozen=True)
class Kpi:
    code: str
    label: str
    formula: str
    compute: Callable[[Figures], KpiValue]
    unit: str  # "rate" (a share shown in %) or "hours"
    worse_when: ThresholdDirection  # which way a figure goes bad: the default of a threshold


KPIS: tuple[Kpi, ...] = (
    Kpi("closed_on_time_rate", _("Closed on time (按期办结率)"), _("closed on time ÷ closed"),
        closed_on_time_rate, "rate", ThresholdDirection.BELOW),
    Kpi("acknowledged_in_time_rate", _("Acknowledged in time (及时签收率)"),
        _("acknowledged before the acknowledge deadline ÷ acknowledged"), acknowledged_in_time_rate, "rate",
        ThresholdDirection.BELOW),
    Kpi("satisfaction_rate", _("Satisfaction (满意率)"), _("satisfied at the last callback ÷ called back"),
        satisfaction_rate, "rate", ThresholdDirection.BELOW),
    Kpi("callback_rate", _("Callback rate (回访率)"), _("called back ÷ closed"), callback_rate, "rate",
        ThresholdDirection.BELOW),
    Kpi("first_contact_resolution_rate", _("First-contact resolution (首呼解决率)"),
        _("resolved on the spot ÷ registered"), first_contact_resolution_rate, "rate", ThresholdDirection.BELOW),
    Kpi("repeat_rate", _("Repeat complaints (重复投诉率)"), _("repeat complaints ÷ registered"), repeat_rate,
        "rate", ThresholdDirection.ABOVE),
    Kpi("over_the_head_rate", _("Over-the-head complaints (越级投诉率)"), _("over-the-head complaints ÷ registered"),
        over_the_head_rate, "rate", ThresholdDirection.ABOVE),
    Kpi("breach_rate", _("Overdue (超时率)"), _("tickets with a missed deadline ÷ registered"), breach_rate,
        "rate", ThresholdDirection.ABOVE),
    Kpi("audit_rejection_rate", _("Rejected in audit (驳回率)"), _("rejected in audit at least once ÷ registered"),
        audit_rejection_rate, "rate", ThresholdDirection.ABOVE),
    Kpi("redispatch_rate", _("Re-dispatched (重派率)"), _("dispatched more than once ÷ registered"),
        redispatch_rate, "rate", ThresholdDirection.ABOVE),
    Kpi("escalation_rate", _("Escalated (升级率)"), _("entered in the complaint ledger ÷ registered"),
        escalation_rate, "rate", ThresholdDirection.ABOVE),
    Kpi("average_handling_hours", _("Average handling time (平均处理时长)"),
        _("working hours from registration to close ÷ closed (on the unit's working calendar)"),
        average_handling_hours, "hours", ThresholdDirection.ABOVE),
)
KPI_BY_CODE = {k.code: k for k in KPIS}

BASE_FORMULAS = {
    BaseKind.CUSTOMERS: _("complaints ÷ customers × 10,000 (万投比)"),
    BaseKind.USERS: _("complaints ÷ users × 1,000,000 (MIIT)"),
    BaseKind.PARCELS: _("complaints ÷ parcels × 1,000,000 (post)"),
    BaseKind.PREMIUM: _("complaints ÷ premium in CNY × 100,000,000 (NFRA)"),
    BaseKind.POLICIES: _("complaints ÷ policies × 10,000 (NFRA)"),
    BaseKind.INSURED: _("complaints ÷ insured persons × 10,000 (NFRA)"),
}


def crossed(value: float | None, threshold: float, direction: ThresholdDirection | str) -> bool:
    """Whether a figure is past its control threshold (管控阀值); no figure crosses nothing."""
    if value is None:
        return False
    return value > threshold if ThresholdDirection(direction) == ThresholdDirection.ABOVE else value < threshold
