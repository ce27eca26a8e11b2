"""A ticket transferred by a regulator: the profile chosen at registration (or later, with
the source) gives its deadline, counted on the ticket's org unit calendar from the transfer
time, as the ticket's own REGULATOR clock beside ours (sla/services/clocks.py `OwnRule`).

Which figure: the company cell of the profile's matrix for (matter, urgency), else (any
matter, urgency), else (matter, any urgency), else (any matter, any urgency), else the
profile's own figure. A deadline the regulator's sheet states itself wins over the computed one. An
extension counts the deadline again from the transfer with the step's total (NFRA: 15 → 30 →
60 days), or moves a stated deadline by the difference; a step that needs approval names the
leader who gave it. Everything is copied onto the transfer row, so a later edit of the profile
does not move a deadline already given."""

from __future__ import annotations

import datetime as dt
import threading
import time as monotonic_time
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import FieldError
from complaintdesk.core.i18n import pick
from complaintdesk.regulators.models import (
    RegulatorDeadline,
    RegulatorExtension,
    RegulatorMatter,
    RegulatorProfile,
    RegulatorTransfer,
)
from complaintdesk.regulators.services.hints import admissibility_hints
from complaintdesk.regulators.vocabulary import DayBasis, Party, Urgency
from complaintdesk.sla.calendar import Duration, Unit, deadline
from complaintdesk.sla.services.calendars import cache_seconds, calendar_for_unit
from complaintdesk.sla.services.clocks import OwnRule
from complaintdesk.sla.vocabulary import ClockType

EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# A transfer older than a year when registered is a typing mistake (the deadlines are weeks).
MAX_TRANSFER_AGE = dt.timedelta(days=366)


@dataclass(frozen=True)
class Figure:
    amount: int
    basis: str  # DayBasis
    source: str  # "matrix" or "profile"


@dataclass(frozen=True)
class TransferPlan:
    """A checked transfer, before the ticket exists."""

    profile: RegulatorProfile
    matter: RegulatorMatter | None
    urgency: str
    transferred_at: dt.datetime | None  # None: the registration time
    matter_date: dt.date | None
    figure: Figure
    hints: list = field(default_factory=list)


@dataclass(frozen=True)
class Option:
    code: str
    name: str
    name_en: str

    @property
    def display_name(self) -> str:
        return pick(self.name, self.name_en)


@dataclass(frozen=True)
class ProfileOption(Option):
    matters: tuple = ()  # Option of each matter type, in order


class _OptionsCache:
    """The active profiles and their matter types for the forms (a small table, read on every
    registration page and every ticket page that offers "set the source"): kept per process
    and read again at most every SLA_CACHE_SECONDS, or at once after an admin save in this
    process (`profile_options_changed`)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.value: list[ProfileOption] | None = None
        self.checked = 0.0

    def get(self) -> list[ProfileOption]:
        if self.value is not None and monotonic_time.monotonic() - self.checked < cache_seconds():
            return self.value
        with self.lock:
            matters: dict[int, list[Option]] = {}
            for m in RegulatorMatter.objects.filter(profile__active=True).order_by("position", "code"):
                matters.setdefault(m.profile_id, []).append(Option(m.code, m.name, m.name_en))
            self.value = [ProfileOption(p.code, p.name, p.name_en, tuple(matters.get(p.pk, ())))
                          for p in RegulatorProfile.objects.filter(active=True).order_by("code")]
            self.checked = monotonic_time.monotonic()
            return self.value

    def clear(self):
        with self.lock:
            self.value, self.checked = None, 0.0


_options = _OptionsCache()


def profile_options() -> list[ProfileOption]:
    """Active profiles with their matter types, for the forms (no query while cached)."""
    return _options.get()


def profile_options_changed() -> None:
    _options.clear()


def figure_for(profile: RegulatorProfile, matter_id: int | None, urgency: str) -> Figure:
    """Our deadline for this matter and urgency (one query)."""
    cells = {(c.matter_id, c.urgency): c for c in
             RegulatorDeadline.objects.filter(profile=profile, party=Party.COMPANY)}
    # An urgency of its own beats the matter's usual figure (12345: an emergency is the same
    # day whatever the matter).
    for key in ((matter_id, urgency), (None, urgency), (matter_id, ""), (None, "")):
        cell = cells.get(key)
        if cell is not None:
            return Figure(cell.amount, cell.day_basis, "matrix")
    return Figure(profile.amount, profile.day_basis, "profile")


def _aware(value: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.astimezone(dt.UTC)


def transfer_clean(*, regulator: str, matter: str, urgency: str, transferred_at: dt.datetime | None,
                   matter_date: dt.date | None, tier: str, now: dt.datetime,
                   errors: list[FieldError]) -> TransferPlan | None:
    """The checked transfer (None when no regulator is named); problems go to `errors`."""
    code = (regulator or "").strip()
    if not code:
        for name, value in (("regulator_matter", matter), ("regulator_urgency", urgency),
                            ("transferred_at", transferred_at), ("matter_date", matter_date)):
            if value:
                errors.append(FieldError(name, _("Choose the regulator first: this belongs to its transfer.")))
        return None
    profile = RegulatorProfile.objects.filter(code=code, active=True).first()
    if profile is None:
        errors.append(FieldError("regulator", _("No active regulator profile has this code.")))
        return None
    if tier and tier != profile.source_tier:
        errors.append(FieldError("source_tier", _(
            "%(regulator)s transfers come from “%(tier)s”: leave the source tier empty or choose that one.")
            % {"regulator": profile.display_name, "tier": profile.source_tier}))
    chosen = None
    if matter:
        chosen = RegulatorMatter.objects.filter(profile=profile, code=matter).first()
        if chosen is None:
            errors.append(FieldError("regulator_matter", _("%(regulator)s has no matter type “%(value)s”.")
                                     % {"regulator": profile.display_name, "value": str(matter)[:40]}))
    if urgency and urgency not in Urgency._value2member_map_:
        errors.append(FieldError("regulator_urgency", _("“%(value)s” is not one of: %(values)s.")
                                 % {"value": str(urgency)[:40], "values": ", ".join(u.value for u in Urgency)}))
        urgency = ""
    if transferred_at is not None:
        try:
            transferred_at = _aware(transferred_at)
            in_range = transferred_at >= EARLIEST
        except (OverflowError, ValueError):
            in_range = False
        if not in_range:
            errors.append(FieldError("transferred_at", _("Enter a date between 1970 and 2200.")))
            transferred_at = None
        elif transferred_at > now + dt.timedelta(minutes=5):
            errors.append(FieldError("transferred_at", _("The transfer cannot be in the future.")))
        elif transferred_at < now - MAX_TRANSFER_AGE:
            errors.append(FieldError("transferred_at", _("The transfer must be within the last year.")))
    if matter_date is not None and matter_date > timezone.localdate(now):
        errors.append(FieldError("matter_date", _("The matter cannot have arisen in the future.")))
    figure = figure_for(profile, chosen.pk if chosen else None, urgency or "")
    hints = admissibility_hints(profile_id=profile.pk, matter_id=chosen.pk if chosen else None,
                                matter_date=matter_date, today=timezone.localdate(transferred_at or now))
    return TransferPlan(profile=profile, matter=chosen, urgency=urgency or "", transferred_at=transferred_at,
                        matter_date=matter_date, figure=figure, hints=hints)


def _source(profile: RegulatorProfile, matter: RegulatorMatter | None, urgency: str, figure_source: str,
            extension: dict | None = None) -> dict:
    return {
        "regulator": {"code": profile.code, "name": profile.name, "name_en": profile.name_en},
        "basis": profile.basis,
        "matter": {"code": matter.code, "name": matter.name, "name_en": matter.name_en} if matter else None,
        "urgency": urgency or None,
        "figure": figure_source,
        "extension": extension,
    }


def own_rule(*, profile: RegulatorProfile | None, matter: RegulatorMatter | None, urgency: str,
             start: dt.datetime, amount: int | None, basis: str | None, stated_due: dt.datetime | None,
             figure_source: str = "matrix", extension: dict | None = None) -> OwnRule:
    """The REGULATOR clock's rule: a duration from the profile, or the regulator's own date."""
    if profile is None:  # a body without a profile (12315, the consumer association): its date
        return OwnRule(clock=ClockType.REGULATOR, start=start, due_at=stated_due,
                       source={"regulator": None, "figure": "stated"})
    duration = None if stated_due is not None else Duration(int(amount), Unit(basis))
    return OwnRule(clock=ClockType.REGULATOR, start=start, duration=duration, due_at=stated_due,
                   warn_share=Decimal(profile.warn_share), ladder=tuple(profile.ladder or ()),
                   source=_source(profile, matter, urgency, "stated" if stated_due else figure_source, extension))


def plan_rule(plan: TransferPlan, *, start: dt.datetime, stated_due: dt.datetime | None) -> OwnRule:
    return own_rule(profile=plan.profile, matter=plan.matter, urgency=plan.urgency, start=start,
                    amount=plan.figure.amount, basis=plan.figure.basis, stated_due=stated_due,
                    figure_source=plan.figure.source)


def transfer_open(*, ticket, plan: TransferPlan, start: dt.datetime, stated_due: dt.datetime | None,
                  at: dt.datetime) -> RegulatorTransfer:
    """The transfer row of a ticket (one INSERT), or its replacement when the source is set
    again with another profile (the extension starts over: it was granted on the old rule)."""
    RegulatorTransfer.objects.filter(ticket_id=ticket.pk).delete()
    return RegulatorTransfer.objects.create(
        ticket_id=ticket.pk, profile=plan.profile, matter=plan.matter, urgency=plan.urgency,
        transferred_at=start, matter_date=plan.matter_date, amount=plan.figure.amount,
        day_basis=plan.figure.basis, stated_due_at=stated_due, extension_step=0, hints=plan.hints,
        created_at=at,
    )


# -- extensions ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Extension:
    step: RegulatorExtension
    rule: OwnRule
    payload: dict


def extension_next(*, transfer: RegulatorTransfer, org_unit_id: int | None, approved_by, reason: str,
                   errors: list[FieldError]) -> Extension | None:
    """The next extension step of a transfer, checked: the step exists, stays within the
    profile's maximum, and has its approval when it needs one."""
    profile = transfer.profile
    step = RegulatorExtension.objects.filter(profile=profile, step=transfer.extension_step + 1).first()
    if step is None:
        errors.append(FieldError("step", _("%(regulator)s allows no further extension of this deadline.")
                                 % {"regulator": profile.display_name}))
        return None
    if profile.max_total is not None and step.total > profile.max_total:
        errors.append(FieldError("step", _("This step would pass the longest deadline %(regulator)s allows "
                                           "(%(days)d days).") % {"regulator": profile.display_name,
                                                                 "days": profile.max_total}))
        return None
    if step.total <= transfer.amount:
        errors.append(FieldError("step", _("This step is not longer than the deadline already given.")))
        return None
    if step.requires_approval and approved_by is None:
        errors.append(FieldError("approved_by", _("This extension needs a leader's approval: name the leader "
                                                  "who approved it."), "required"))
    if errors:
        return None
    extension = {"step": step.step, "name": step.name, "name_en": step.name_en, "total": step.total,
                 "approved_by": approved_by.username if approved_by else None}
    stated = transfer.stated_due_at
    if stated is not None:
        # The regulator stated its date: the step moves it by the extra days.
        cal = calendar_for_unit(org_unit_id).calendar
        moved = deadline(cal, stated, Duration(step.total - transfer.amount, Unit(transfer.day_basis)))
        stated = moved.at
    rule = own_rule(profile=profile, matter=transfer.matter, urgency=transfer.urgency,
                    start=transfer.transferred_at, amount=step.total, basis=transfer.day_basis,
                    stated_due=stated, extension=extension)
    payload = {"regulator": profile.code, "step": step.step, "total": step.total,
               "unit": transfer.day_basis, "requires_approval": step.requires_approval,
               "approved_by": extension["approved_by"], "reason": reason}
    return Extension(step=step, rule=rule, payload=payload)


def extension_record(*, transfer: RegulatorTransfer, extension: Extension, stated_due: dt.datetime | None):
    """Keep the granted step on the transfer (in the extension's transaction)."""
    RegulatorTransfer.objects.filter(pk=transfer.pk).update(
        extension_step=extension.step.step, amount=extension.step.total, stated_due_at=stated_due)


def basis_label(basis: str) -> str:
    try:
        return str(DayBasis(basis).label)
    except ValueError:
        return basis
