"""The complaint ledger endpoints: search, export (.xlsx) and one entry with its dossier.
Parse, call a selector, render; nothing else."""

import datetime as dt
import tempfile

from django.http import FileResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from complaintdesk.audit.services import access_record
from complaintdesk.audit.vocabulary import AccessKind
from complaintdesk.core.schema import InputSchema
from complaintdesk.sla import selectors
from complaintdesk.tickets.facts import sees_full_phones

router = Router(tags=["ledger"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The sheet is built in a temporary file (in memory up to this size) and streamed from there.
SPOOL_BYTES = 8 * 1024 * 1024


class LedgerQuery(InputSchema):
    q: str = Field("", max_length=200, description="A ticket number, or words of the title or summary.")
    org_unit: str = Field("", max_length=40, description="Org unit code; its whole subtree matches.")
    department: str = Field("", max_length=40, description="Department code.")
    date_from: dt.datetime | None = Field(None, description="Entered at or after.")
    date_to: dt.datetime | None = Field(None, description="Entered before.")
    open_only: bool = Field(False, description="Only entries whose ticket is not closed yet.")


class LedgerListQuery(LedgerQuery):
    cursor: str = Field("", max_length=100)
    limit: int = 50


class Ref(Schema):
    code: str
    name: str


class LedgerEntryOut(Schema):
    id: int
    ticket_id: int
    ticket_number: str | None
    ticket_title: str
    reason: str = Field(..., description="breach (a deadline was missed) or over_the_head.")
    clock: str | None = Field(..., description="The missed clock; null for an over-the-head entry.")
    clock_label: str | None
    due_at: dt.datetime | None
    breached_at: dt.datetime | None
    level: int
    org_unit: Ref
    department: Ref | None
    opened_at: dt.datetime
    resolved_at: dt.datetime | None
    summary: str


class LedgerPageOut(Schema):
    items: list[LedgerEntryOut]
    next_cursor: str | None


class DossierOut(Schema):
    opened_at: dt.datetime
    snapshot: dict


class LedgerEntryDetailOut(LedgerEntryOut):
    dossier: DossierOut | None


def _ref(obj) -> dict | None:
    return {"code": obj.code, "name": obj.display_name} if obj is not None else None


def _entry(e) -> dict:
    return {
        "id": e.pk, "ticket_id": e.ticket_id, "ticket_number": e.ticket.number,
        "ticket_title": e.ticket.title, "reason": e.reason,
        "clock": e.clock.clock if e.clock else None,
        "clock_label": selectors.clock_label(e.clock.clock) if e.clock else None,
        "due_at": e.clock.due_at if e.clock else None,
        "breached_at": e.clock.breached_at if e.clock else None, "level": e.level, "org_unit": _ref(e.org_unit),
        "department": _ref(e.department), "opened_at": e.opened_at, "resolved_at": e.resolved_at,
        "summary": e.summary,
    }


def _filters(f: LedgerQuery) -> dict:
    return {"q": f.q, "org_unit": f.org_unit, "department": f.department,
            "date_from": f.date_from, "date_to": f.date_to, "open_only": f.open_only}


@router.get("/ledger", response=LedgerPageOut, summary="Search the complaint ledger")
def ledger_list(request, filters: Query[LedgerListQuery]):
    """Newest first, within what you may see (as for tickets). Pass the returned
    `next_cursor` as `cursor` for the next page."""
    page = selectors.ledger_search(viewer=request.user, cursor=filters.cursor,
                                   limit=max(1, min(filters.limit, selectors.MAX_LIMIT)),
                                   **_filters(filters))
    return {"items": [_entry(e) for e in page.items], "next_cursor": page.next_cursor}


@router.get("/ledger.xlsx", summary="Export the complaint ledger (.xlsx)",
            openapi_extra={"responses": {200: {
                "description": "An Excel workbook of every entry the search would list.",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}})
def ledger_export(request, filters: Query[LedgerQuery]):
    """The entries the search lists (all pages, newest first) as an Excel workbook; column
    headings in the language of Accept-Language."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (FileResponse closes it)
    customers: set[int] = set()
    selectors.ledger_export_xlsx(viewer=request.user, out=out, customers=customers, **_filters(filters))
    access_record(actor=request.user, kind=AccessKind.LEDGER_EXPORT, customer_ids=customers,
                  path=request.get_full_path())
    out.seek(0)
    name = f"ledger-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)


@router.get("/ledger/{entry_id}", response=LedgerEntryDetailOut, summary="A ledger entry with its case dossier")
def ledger_detail(request, entry_id: int):
    e = selectors.ledger_get(viewer=request.user, entry_id=entry_id)
    dossier = getattr(e, "dossier", None)
    if dossier is None:
        return {**_entry(e), "dossier": None}
    full = sees_full_phones(request.user, e.ticket)
    access_record(actor=request.user, kind=AccessKind.LEDGER_ENTRY_API, customer_ids=[e.ticket.customer_id],
                  ticket_id=e.ticket_id, full_phones=full, path=request.get_full_path())
    return {**_entry(e), "dossier": {"opened_at": dossier.opened_at,
                                     "snapshot": selectors.dossier_shown(dossier.snapshot, full_phones=full)}}
