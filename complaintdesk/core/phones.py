"""Phone numbers: validated and normalised to E.164 with `phonenumbers`.

The normalised number is the key that finds a customer's earlier tickets, so "138 0013 8000",
"+86 13800138000" and "13800138000" must all become the same string.
"""

import functools
import re

import phonenumbers
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import ValidationFailed

DEFAULT_REGION = "CN"


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    text = (raw or "").strip()
    if not text:
        raise ValidationFailed.on(field, _("Enter a phone number."), "required")
    if len(text) > 32:
        raise ValidationFailed.on(field, _("This phone number is too long."))
    try:
        parsed = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationFailed.on(
            field, _("“%(value)s” is not a phone number.") % {"value": text}
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        if parsed.country_code == 86 and str(parsed.national_number).startswith("1"):
            reason = _("“%(value)s” is not a valid mobile number: it needs 11 digits with a "
                       "prefix in use, such as 138 or 159.") % {"value": text}
        else:
            reason = _("“%(value)s” is not a valid phone number; landlines need their area "
                       "code, such as 020-12345678.") % {"value": text}
        raise ValidationFailed.on(field, reason)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=65536)  # pure; parsing and formatting cost ≈60 µs a number
def display_phone(e164: str) -> str:
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def mask_phone(e164: str) -> str:
    """The national number with its middle digits hidden (138****8000): enough to recognise a
    caller, not enough to copy or call."""
    shown = display_phone(e164)
    digits = [c for c in shown if c.isdigit()]
    if len(digits) < 7:
        return shown
    return "".join(digits[:3]) + "*" * (len(digits) - 7) + "".join(digits[-4:])


def phone_shown(e164: str, *, full: bool) -> str:
    """A phone number as a viewer sees it: in full (national format) or masked. Pages, the
    API and exports all show phones through this; `full` comes from
    tickets.facts.sees_full_phones (docs/security.md §7)."""
    return display_phone(e164) if full else mask_phone(e164)


# Phone-typed required elements are stored normalised (tickets/services/elements.py).
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def elements_shown(elements: dict, *, full: bool) -> dict:
    """Required-element values with every phone number masked unless `full`."""
    if full or not elements:
        return elements
    return {k: mask_phone(v) if isinstance(v, str) and _E164.fullmatch(v) else v for k, v in elements.items()}
