"""Validation of a ticket's required elements (受理要素) against its category's definitions."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import FieldError, ValidationFailed
from complaintdesk.core.phones import normalize_phone
from complaintdesk.taxonomy.models import ElementType, RequiredElement

MAX_TEXT = 2000


def _clean_one(element: RequiredElement, raw, field: str):
    kind = element.type
    if kind == ElementType.TEXT:
        if not isinstance(raw, str | int | float):
            raise ValidationFailed.on(field, _("Enter text."))
        text = str(raw).strip()
        if "\x00" in text:
            raise ValidationFailed.on(field, _("Text must not contain NUL characters."))
        if len(text) > MAX_TEXT:
            raise ValidationFailed.on(field, _("At most %(n)d characters.") % {"n": MAX_TEXT})
        return text
    if kind == ElementType.CHOICE:
        allowed = [c.get("value") for c in element.choices or []]
        if raw not in allowed:
            raise ValidationFailed.on(
                field, _("Choose one of: %(values)s.") % {"values": ", ".join(map(str, allowed))}
            )
        return raw
    if kind == ElementType.NUMBER:
        if isinstance(raw, bool):
            raise ValidationFailed.on(field, _("Enter a whole number."))
        try:
            return int(str(raw).strip())
        except ValueError:
            raise ValidationFailed.on(field, _("Enter a whole number.")) from None
    if kind == ElementType.AMOUNT:
        if isinstance(raw, bool):
            raise ValidationFailed.on(field, _("Enter an amount such as 58.00."))
        try:
            amount = Decimal(str(raw).strip().replace(",", "").lstrip("¥￥"))
        except InvalidOperation:
            raise ValidationFailed.on(field, _("Enter an amount such as 58.00.")) from None
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
            raise ValidationFailed.on(field, _("Enter an amount of zero or more."))
        return str(amount.quantize(Decimal("0.01")))
    if kind == ElementType.DATE:
        try:
            return dt.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise ValidationFailed.on(field, _("Enter a date as YYYY-MM-DD.")) from None
    if kind == ElementType.PHONE:
        return normalize_phone(str(raw), field=field)
    raise ValidationFailed.on(field, _("Unknown element type."))


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_elements(definitions: list[RequiredElement], values, *, missing_ok: bool = False) -> dict:
    """Every required element filled and every value of its type; all problems at once.
    `missing_ok` (a file import whose mapping says "register incomplete, flag for review"):
    a missing element is no error; a wrong one still is."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationFailed.on("elements", _("Give the elements as an object of key: value."))
    known = {e.key for e in definitions}
    errors: list[FieldError] = []
    cleaned: dict = {}
    for element in definitions:
        field = f"elements.{element.key}"
        raw = values.get(element.key)
        if _is_blank(raw):
            if element.required and not missing_ok:
                errors.append(FieldError(
                    field,
                    _("“%(label)s” is required for this category.") % {"label": element.display_label},
                    "required",
                ))
            continue
        try:
            cleaned[element.key] = _clean_one(element, raw, field)
        except ValidationFailed as exc:
            errors.extend(exc.fields)
    for key in values:
        if key not in known:
            errors.append(FieldError(f"elements.{key}", _("This category has no such element."), "unknown"))
    if errors:
        raise ValidationFailed(_("Some required elements are missing or wrong."), fields=errors)
    return cleaned
