"""The source tier of a ticket, the regulator's reference and the regulator's own reply
deadline: checked the same way at registration and when staff set them later."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import FieldError
from complaintdesk.tickets.vocabulary import Channel, SourceTier

EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
# Regulators answer within days or weeks (NFRA 15–60 days, MIIT 30, post 30): a deadline more
# than a year after the first report is a typing mistake.
MAX_DUE_AFTER = dt.timedelta(days=366)
REF_MAX = 64

# The tier a channel implies when none is given; a regulator transfer must name its regulator.
CHANNEL_TIER = {
    Channel.MEDIA: SourceTier.MEDIA,
    Channel.UPPER_LEVEL_TRANSFER: SourceTier.LEADERSHIP,
}
TRANSFER_CHANNELS = frozenset({Channel.REGULATOR_TRANSFER, Channel.UPPER_LEVEL_TRANSFER, Channel.MEDIA})


@dataclass(frozen=True)
class Source:
    tier: str
    ref: str
    due_at: dt.datetime | None


def source_clean(*, tier: str, ref: str, due_at: dt.datetime | None, channel: str | None,
                 first_reported_at: dt.datetime | None, errors: list[FieldError]) -> Source:
    """The checked source; problems are appended to `errors` (all at once, by field)."""
    tier = (tier or "").strip()
    if not tier:
        implied = CHANNEL_TIER.get(channel) if channel else None
        if implied is not None:
            tier = implied.value
        elif channel == Channel.REGULATOR_TRANSFER:
            errors.append(FieldError("source_tier", _(
                "Name the body that transferred this ticket (12345, 12315, 12300, 12378, 12305, "
                "the consumer association...)."), "required"))
        else:
            tier = SourceTier.DIRECT.value
    elif tier not in SourceTier._value2member_map_:
        errors.append(FieldError("source_tier", _("“%(value)s” is not a source tier; choose one of: %(values)s.")
                                 % {"value": tier[:40], "values": ", ".join(t.value for t in SourceTier)}))
        tier = ""
    elif tier == SourceTier.DIRECT and channel in TRANSFER_CHANNELS:
        errors.append(FieldError("source_tier", _(
            "A ticket that arrives through this channel comes from above: choose the body it came from.")))
    ref = (ref or "").strip()
    if "\x00" in ref or not ref.isprintable():
        errors.append(FieldError("regulator_ref", _("Use letters, digits and punctuation only.")))
    elif len(ref) > REF_MAX:
        errors.append(FieldError("regulator_ref", _("At most %(n)d characters.") % {"n": REF_MAX}))
    if due_at is not None:
        try:
            if timezone.is_naive(due_at):
                due_at = timezone.make_aware(due_at)
            due_at = due_at.astimezone(dt.UTC)
            in_range = EARLIEST <= due_at <= LATEST
        except (OverflowError, ValueError):
            in_range = False
        if not in_range:
            errors.append(FieldError("regulator_due_at", _("Enter a date between 1970 and 2200.")))
            due_at = None
        else:
            start = first_reported_at or timezone.now()
            if due_at < start:
                errors.append(FieldError("regulator_due_at", _(
                    "The regulator's deadline cannot be before the customer first reported the matter.")))
            elif due_at > start + MAX_DUE_AFTER:
                errors.append(FieldError("regulator_due_at", _(
                    "The regulator's deadline must be within a year of the first report.")))
    if tier == SourceTier.DIRECT and (ref or due_at):
        field = "regulator_ref" if ref else "regulator_due_at"
        errors.append(FieldError(field, _(
            "Only a ticket transferred from above has a regulator's reference or deadline; choose its source tier.")))
    return Source(tier=tier, ref=ref, due_at=due_at)
