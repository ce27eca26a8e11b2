"""The xlsx export of a worklist: the rows the list shows (same scope, filters and order), at
most EXPORT_MAX_ROWS of them, written row by row through core/xlsx.py (every text as text,
never a formula: docs/security.md §1)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.xlsx import XlsxSheet
from complaintdesk.tickets.selectors import TicketFilters, ticket_rows
from complaintdesk.workbench.worklists import (
    ROW_DEFERRED,
    ROW_RELATED,
    RowWords,
    WorklistEntry,
    worklist_row,
)

EXPORT_MAX_ROWS = 10_000


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
                         now: dt.datetime | None = None, customers: set[int] | None = None) -> tuple[int, bool]:
    """Write the list into `out` (a binary file). Returns (rows written, whether it was cut).
    `customers`, if given, receives the ids of the customers in the sheet (the caller records
    the export in the personal-data access log)."""
    now = now or timezone.now()
    rows = ticket_rows(viewer=viewer, filters=filters, sort=sort, where=entry.condition,
                       limit=EXPORT_MAX_ROWS, related=ROW_RELATED, defer=ROW_DEFERRED)
    sheet = XlsxSheet(str(entry.worklist.title),
                      widths=(20, 40, 10, 18, 22, 10, 8, 18, 14, 18, 18, 14, 16, 12))
    sheet.header(_headers())
    written, capped = 0, False
    yes, no = gettext("yes"), gettext("no")
    words = RowWords()
    for ticket in rows:
        if written >= EXPORT_MAX_ROWS:
            capped = True
            break
        r = worklist_row(ticket, now, words)
        if customers is not None:
            customers.add(ticket.customer_id)
        sheet.row([
            r.number, r.title, r.kind, r.category, r.state_label, r.severity_label, yes if r.special else no,
            r.department, r.phone, r.registered_at, r.due_at, r.due_clock, r.time_left, r.sla_label,
        ])
        written += 1
    if capped:
        sheet.note(cap_notice())
    sheet.save(out)
    return written, capped
