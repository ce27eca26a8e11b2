"""Admissibility hints: a matter older than the body's limit is not admissible under its rule
(MIIT, 电信用户申诉处理办法: billing disputes older than 5 months, other disputes older than 2
years). Shown at registration and on the ticket, never enforced: the staff decide."""

from __future__ import annotations

import calendar
import datetime as dt

from complaintdesk.core.i18n import pick
from complaintdesk.regulators.models import AdmissibilityRule
from complaintdesk.regulators.vocabulary import AgeUnit


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the month's last day when it has fewer (31 Jan + 1 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def limit_date(matter_date: dt.date, max_age: int, unit: str) -> dt.date:
    """The last day the matter is within the limit."""
    return add_months(matter_date, max_age * (12 if unit == AgeUnit.YEARS else 1))


def rule_for(rules: list[AdmissibilityRule], matter_id: int | None) -> AdmissibilityRule | None:
    """The matter's own rule, else the rule for every other matter."""
    own = next((r for r in rules if matter_id is not None and r.matter_id == matter_id), None)
    return own or next((r for r in rules if r.matter_id is None), None)


def admissibility_hints(*, profile_id: int, matter_id: int | None, matter_date: dt.date | None,
                        today: dt.date) -> list[dict]:
    """The hints for a matter that arose on `matter_date` (one query; none without a date).
    Stable keys, kept on the transfer: {"rule", "max_age", "unit", "limit", "message", "message_en"}."""
    if matter_date is None:
        return []
    rule = rule_for(list(AdmissibilityRule.objects.filter(profile_id=profile_id)), matter_id)
    if rule is None:
        return []
    try:
        limit = limit_date(matter_date, rule.max_age, rule.age_unit)
    except ValueError:  # past the year 9999: within any limit
        return []
    if today <= limit:
        return []
    return [{"rule": rule.pk, "max_age": rule.max_age, "unit": rule.age_unit, "limit": limit.isoformat(),
             "matter_date": matter_date.isoformat(), "message": rule.message, "message_en": rule.message_en}]


def hint_text(hint: dict) -> str:
    return pick(hint.get("message", ""), hint.get("message_en", ""))
