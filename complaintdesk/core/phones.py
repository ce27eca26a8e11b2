"""Phone numbers: validated and normalised to E.164 with `phonenumbers`.

The normalised number is the key that finds a customer's earlier tickets, so "138 0013 8000",
"+86 13800138000" and "13800138000" must all become the same string.
"""

import functools

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
