"""The reply sheet in the regulator's layout: the columns its profile names (field, Chinese
and English header), one row per transfer, written through core/xlsx.py (every text a string
cell, never a formula). Phones as the viewer may see them."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import get_language, gettext

from complaintdesk.core.i18n import pick
from complaintdesk.core.phones import phone_shown
from complaintdesk.core.xlsx import XlsxSheet
from complaintdesk.regulators.models import RegulatorProfile
from complaintdesk.regulators.vocabulary import SheetField, Urgency
from complaintdesk.sla.vocabulary import ClockState
from complaintdesk.tickets.facts import sees_full_phones
from complaintdesk.tickets.vocabulary import Cause, Resolution, Satisfaction, State

# The layout used when a profile names none: what every regulator asks back.
DEFAULT_COLUMNS = [
    {"field": f.value} for f in (
        SheetField.REGULATOR_REF, SheetField.NUMBER, SheetField.TRANSFERRED_AT, SheetField.DUE_AT,
        SheetField.CUSTOMER_NAME, SheetField.PHONE, SheetField.TITLE, SheetField.HANDLING,
        SheetField.REPLY, SheetField.REPLIED_AT, SheetField.ON_TIME, SheetField.SATISFACTION)
]
WIDTHS = {SheetField.DESCRIPTION: 50, SheetField.HANDLING: 50, SheetField.REPLY: 50, SheetField.TITLE: 30}


def columns_of(profile: RegulatorProfile) -> list[dict]:
    """The profile's columns, unknown fields left out (the admin validates; JSON is JSON)."""
    out = []
    for column in profile.sheet_columns or DEFAULT_COLUMNS:
        if isinstance(column, dict) and column.get("field") in SheetField._value2member_map_:
            out.append(column)
    return out or DEFAULT_COLUMNS


def _header(column: dict) -> str:
    field = SheetField(column["field"])
    english = (get_language() or "").lower().startswith("en")
    if english:
        return column.get("header_en") or str(field.label)
    return column.get("header") or str(field.label)


def _label(enum, value) -> str:
    try:
        return str(enum(value).label) if value else ""
    except ValueError:
        return str(value)


def _value(field: SheetField, row, viewer):
    t, transfer, clock = row.ticket, row.transfer, row.clock
    replied = clock.stopped_at if clock is not None and clock.state in (ClockState.MET, ClockState.MISSED) else None
    yes, no = gettext("yes"), gettext("no")
    if field == SheetField.REGULATOR_REF:
        return t.regulator_ref
    if field == SheetField.NUMBER:
        return t.number or ""
    if field == SheetField.TRANSFERRED_AT:
        return transfer.transferred_at
    if field == SheetField.DUE_AT:
        return t.regulator_due_at
    if field == SheetField.CUSTOMER_NAME:
        return t.customer.name
    if field == SheetField.PHONE:
        return phone_shown(t.contact_phone, full=sees_full_phones(viewer, t))
    if field == SheetField.MATTER:
        return transfer.matter.display_name if transfer.matter else ""
    if field == SheetField.URGENCY:
        return _label(Urgency, transfer.urgency)
    if field == SheetField.TITLE:
        return t.title
    if field == SheetField.DESCRIPTION:
        return t.description
    if field == SheetField.DEPARTMENT:
        department = t.responsible_department or t.lead_department
        return pick(department.name, department.name_en) if department else ""
    if field == SheetField.CAUSE:
        return _label(Cause, t.cause)
    if field == SheetField.HANDLING:
        return t.handling_notes
    if field == SheetField.REPLY:
        return t.reply_text
    if field == SheetField.REPLIED_AT:
        return replied
    if field == SheetField.ON_TIME:
        if replied is None:
            return ""
        return yes if clock.state == ClockState.MET else no
    if field == SheetField.EXTENSION:
        return str(transfer.extension_step) if transfer.extension_step else ""
    if field == SheetField.VALID:
        if t.resolution == Resolution.INVALID:
            return no
        return yes if t.state in (State.CLOSED, State.ARCHIVED) else ""
    if field == SheetField.SATISFACTION:
        return _label(Satisfaction, t.satisfaction)
    if field == SheetField.STATE:
        return _label(State, t.state)
    return ""


def sheet_write(*, viewer, profile: RegulatorProfile, rows, out) -> set[int]:
    """Write the sheet into `out`; returns the customers in it (for the access log)."""
    columns = columns_of(profile)
    fields = [SheetField(c["field"]) for c in columns]
    sheet = XlsxSheet(profile.sheet_title or profile.display_name,
                      widths=[WIDTHS.get(f, 20) for f in fields])
    sheet.header([_header(c) for c in columns])
    customers = set()
    for row in rows:
        customers.add(row.ticket.customer_id)
        sheet.row([_value(f, row, viewer) for f in fields])
    sheet.save(out)
    return customers


def sheet_filename(profile: RegulatorProfile, suffix: str = "") -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{profile.code}-reply-{suffix + '-' if suffix else ''}{stamp}.xlsx"
