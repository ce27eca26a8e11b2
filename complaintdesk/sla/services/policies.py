"""Which deadline rule applies to a ticket, clock by clock.

A policy matches a ticket when each of its set fields equals the ticket's: kind, category (the
ticket's category or one of its ancestors: policies are inherited down the tree), severity and
channel. A special case (threats of media, lawsuits, regulators) matches the policies of the
major severity: domain.md, "special and major cases follow 003's special-case rules".

Among the matching policies the order is: higher priority, then more set fields, then the
deeper category, then the older policy. Each clock takes the rule of the first policy in that
order that defines it, so a policy may set only some clocks and leave the others to broader
policies (a special-case policy with only a handling clock, over a category's full set).
No rule for a clock → the ticket has no such clock.

Like the calendars (services/calendars.py), the active policies and their rules are kept per
process and checked for changes at most every SLA_CACHE_SECONDS: choosing costs no query.
"""

from __future__ import annotations

import logging
import threading
import time as monotonic_time
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal

from complaintdesk.sla.calendar import Duration, Unit
from complaintdesk.sla.models import ClockRule, Policy
from complaintdesk.sla.services.calendars import cache_seconds, calendar_cache_clear
from complaintdesk.sla.vocabulary import ClockType
from complaintdesk.tickets.vocabulary import Severity

log = logging.getLogger(__name__)

WORKING_UNITS = frozenset({Unit.WORKING_MINUTES, Unit.WORKING_HOURS, Unit.WORKING_DAYS})


def number_text(amount: Decimal) -> str:
    """Decimal('12.00') → '12', Decimal('0.50') → '0.5'."""
    text = f"{amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class RuleSpec:
    """One clock rule, read once from its row."""

    id: int
    clock: ClockType
    amount: Decimal
    unit: Unit
    duration: Duration
    daily_at: time | None
    warn_share: Decimal
    ladder: tuple = ()
    working: bool = field(init=False)
    text: str = field(init=False)  # '12 working_hours'; 'daily_at 17:00 after 1 calendar_hours'

    def __post_init__(self):
        object.__setattr__(self, "working", self.unit in WORKING_UNITS)
        base = f"{number_text(self.amount)} {self.unit.value}"
        if self.daily_at is not None:
            base = f"daily_at {self.daily_at:%H:%M} after {base}"
        object.__setattr__(self, "text", base)


@dataclass(frozen=True)
class PolicySpec:
    id: int
    name: str
    name_en: str
    kind: str
    category_path: str
    category_depth: int
    severity: str
    channel: str
    priority: int
    rules: dict = field(default_factory=dict, compare=False, hash=False)  # ClockType → RuleSpec

    @property
    def specificity(self) -> int:
        return sum(bool(v) for v in (self.kind, self.category_path, self.severity, self.channel))

    def matches(self, kind: str, category_path: str, severity: str, channel: str) -> bool:
        return (
            (not self.kind or self.kind == kind)
            and (not self.category_path or category_path.startswith(self.category_path))
            and (not self.severity or self.severity == severity)
            and (not self.channel or self.channel == channel)
        )

    def explain(self) -> dict:
        return {"id": self.id, "name": self.name, "name_en": self.name_en}


@dataclass(frozen=True)
class Choice:
    policy: PolicySpec
    rule: RuleSpec


def _rule(row) -> RuleSpec | None:
    pk, _policy_id, clock, amount, unit, daily_at, warn_share, ladder = row
    try:
        if clock == ClockType.REGULATOR:
            raise ValueError("the regulator's deadline comes from the regulator's profile, not a policy")
        unit = Unit(unit)
        duration = Duration(Decimal(amount), unit)
        share = Decimal(warn_share if warn_share is not None else "0.8")
        if not Decimal(0) <= share <= Decimal(1):
            raise ValueError(f"warn share {share} is not between 0 and 1")
        return RuleSpec(id=pk, clock=ClockType(clock), amount=Decimal(amount), unit=unit,
                        duration=duration, daily_at=daily_at, warn_share=share,
                        ladder=tuple(ladder or ()))
    except (ValueError, TypeError, ArithmeticError) as exc:
        log.error("clock rule %s (%s %s %s) is invalid and ignored: %s", pk, clock, amount, unit, exc)
        return None


def _load_rows() -> tuple:
    return (
        tuple(Policy.objects.filter(active=True).order_by("id").values_list(
            "id", "name", "name_en", "kind", "category__path", "category__depth", "severity",
            "channel", "priority")),
        tuple(ClockRule.objects.filter(policy__active=True).order_by("id").values_list(
            "id", "policy_id", "clock", "amount", "unit", "daily_at", "warn_share", "ladder")),
    )


@dataclass
class _Config:
    rows: tuple
    policies: list[PolicySpec] = field(default_factory=list)
    by_rule: dict[int, Choice] = field(default_factory=dict)
    chosen: dict[tuple, dict[ClockType, Choice]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: tuple) -> _Config:
        policy_rows, rule_rows = rows
        rules: dict[int, dict[ClockType, RuleSpec]] = {}
        for row in rule_rows:
            spec = _rule(row)
            if spec is not None:
                rules.setdefault(row[1], {})[spec.clock] = spec
        policies = [
            PolicySpec(id=pk, name=name, name_en=name_en, kind=kind or "", category_path=path or "",
                       category_depth=depth or 0, severity=severity or "", channel=channel or "",
                       priority=priority, rules=rules.get(pk, {}))
            for pk, name, name_en, kind, path, depth, severity, channel, priority in policy_rows
        ]
        policies.sort(key=lambda p: (-p.priority, -p.specificity, -p.category_depth, p.id))
        by_rule = {rule.id: Choice(p, rule) for p in policies for rule in p.rules.values()}
        return cls(rows=rows, policies=policies, by_rule=by_rule)

    def choose(self, kind: str, category_path: str, severity: str, channel: str) -> dict[ClockType, Choice]:
        key = (kind, category_path, severity, channel)
        chosen = self.chosen.get(key)
        if chosen is None:
            chosen = {}
            for policy in self.policies:
                if not policy.matches(kind, category_path, severity, channel):
                    continue
                for clock, rule in policy.rules.items():
                    chosen.setdefault(clock, Choice(policy, rule))
            self.chosen[key] = chosen
        return chosen


class _Cache:
    def __init__(self):
        self.lock = threading.Lock()
        self.config: _Config | None = None
        self.checked = 0.0

    def get(self) -> _Config:
        config = self.config
        if config is not None and monotonic_time.monotonic() - self.checked < cache_seconds():
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


def policy_cache_clear() -> None:
    _cache.clear()


def sla_config_changed() -> None:
    """Call after saving calendars, years, overrides, policies or rules (the admin does): this
    process sees the change at once, the others within SLA_CACHE_SECONDS."""
    calendar_cache_clear()
    policy_cache_clear()


def effective_severity(severity: str, special: bool) -> str:
    return Severity.MAJOR.value if special else severity


def rules_for(*, kind: str, category_path: str, severity: str, channel: str,
              special: bool = False) -> dict[ClockType, Choice]:
    """The chosen rule of each clock for tickets with these facts (no query once cached)."""
    return _cache.get().choose(str(kind), category_path or "", effective_severity(str(severity), special),
                               str(channel))


def rule_choice(rule_id: int | None) -> Choice | None:
    """The (active) policy and rule of a clock rule id; None if it is gone or inactive."""
    if rule_id is None:
        return None
    return _cache.get().by_rule.get(rule_id)


def rules_for_ticket(ticket) -> dict[ClockType, Choice]:
    """`ticket.category` should be loaded (select_related) to spare a query."""
    return rules_for(kind=ticket.kind, category_path=ticket.category.path, severity=ticket.severity,
                     channel=ticket.channel, special=ticket.special)
