"""The xlsx export of a worklist: the rows the list shows (same scope, filters and order), at
most EXPORT_MAX_ROWS of them, written with openpyxl's write-only mode (rows go straight to the
file, not into a model of the whole sheet)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaintdesk.tickets.selectors import TicketFilters, ticket_rows
from complaintdesk.workbench.worklists import (
    ROW_DEFERRED,
    ROW_RELATED,
    RowWords,
    WorklistEntry,
    worklist_row,
)

EXPORT_MAX_ROWS = 10_000


def _local(value: dt.datetime | None):
    # Excel has no time zones: local wall-clock time without tzinfo.
    return timezone.localtime(value).replace(tzinfo=None) if value is not None else None


def _headers() -> list[str]:
    return [str(x) for x in (
        _("Ticket number"), _("Title"), _("Kind"), _("Category"), _("State"), _("Severity"), _("Special case"),
        _("Department"), _("Customer phone"), _("Registered at"), _("Deadline"), _("Clock"), _("Time left"),
        _("Deadline status"),
    )]


def cap_notice() -> str:
    return gettext("Only the first %(count)s rows are exported: narrow the filters for the rest.") % {
        "count": f"{EXPORT_MAX_ROWS:,}"}


def worklist_export_xlsx(*, viewer, entry: WorklistEntry, filters: TicketFilters, sort: str, out,
                         now: dt.datetime | None = None) -> tuple[int, bool]:
    """Write the list into `out` (a binary file). Returns (rows written, whether it was cut)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    now = now or timezone.now()
    rows = ticket_rows(viewer=viewer, filters=filters, sort=sort, where=entry.condition,
                       limit=EXPORT_MAX_ROWS, related=ROW_RELATED, defer=ROW_DEFERRED)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=str(entry.worklist.title)[:31])
    for col, width in zip("ABCDEFGHIJKLMN", (20, 40, 10, 18, 22, 10, 8, 18, 14, 18, 18, 14, 16, 12), strict=True):
        ws.column_dimensions[col].width = width
    bold = Font(bold=True)
    header = []
    for text in _headers():
        cell = WriteOnlyCell(ws, value=text)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    written, capped = 0, False
    yes, no = gettext("yes"), gettext("no")
    words = RowWords()
    for ticket in rows:
        if written >= EXPORT_MAX_ROWS:
            capped = True
            break
        r = worklist_row(ticket, now, words)
        ws.append([
            r.number, r.title, r.kind, r.category, r.state_label, r.severity_label, yes if r.special else no,
            r.department, r.phone, _local(r.registered_at), _local(r.due_at), r.due_clock, r.time_left,
            r.sla_label,
        ])
        written += 1
    if capped:
        ws.append([])
        ws.append([cap_notice()])
    wb.save(out)
    return written, capped
