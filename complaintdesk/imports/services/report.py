"""The error report of a batch as xlsx (core/xlsx.py: every text a string cell, never a
formula — the reasons quote the customer's own text): one line per reason of each failed row."""

from __future__ import annotations

import tempfile

from django.utils.translation import gettext

from complaintdesk.core.xlsx import XlsxSheet
from complaintdesk.imports.models import ImportBatch, ImportRow
from complaintdesk.imports.vocabulary import BatchState, RowOutcome


def error_report_xlsx(batch: ImportBatch):
    """A file object positioned at 0 (a temporary file: a report of 100,000 rows is not held in memory)."""
    dry = batch.state in (BatchState.CHECKING, BatchState.CHECKED, BatchState.UNREADABLE, BatchState.CANCELLED)
    sheet = XlsxSheet(gettext("Failed rows"), widths=(8, 20, 18, 18, 60))
    sheet.header([gettext("Row"), gettext("Source id"), gettext("Column"), gettext("Field"), gettext("Reason")])
    rows = (ImportRow.objects.filter(batch=batch, dry_run=dry, outcome=RowOutcome.FAILED)
            .only("row_number", "source_id", "reasons").order_by("row_number").iterator(chunk_size=2000))
    for r in rows:
        for reason in r.reasons or [{}]:
            sheet.row([r.row_number, r.source_id, reason.get("column", ""), reason.get("field", ""),
                       reason.get("reason", "")])
    if batch.problem.get("message"):
        sheet.note(batch.problem["message"])
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    sheet.save(out)
    out.seek(0)
    return out
