"""The API's view of an import batch: progress and the row report."""

from __future__ import annotations

from ninja import Schema

from complaintdesk.core.schema import InputSchema
from complaintdesk.imports.vocabulary import BatchState

REPORT_ROWS = 200


class ReasonOut(Schema):
    field: str
    column: str = ""
    reason: str
    code: str = "invalid"
    ticket: str | None = None


class RowOut(Schema):
    row: int
    source_id: str
    outcome: str
    incomplete: bool
    ticket: str | None
    reasons: list[ReasonOut]


class CountsOut(Schema):
    create: int
    skip: int
    differ: int
    fail: int


class BatchOut(Schema):
    id: int
    state: str
    state_label: str
    file_name: str
    file_kind: str
    encoding: str
    encoding_detected: bool
    mapping: str
    source: str
    on_error: str
    register_incomplete: bool
    total_rows: int
    dry_run: CountsOut
    imported: CountsOut
    processed_rows: int
    progress: float | None  # 0..1 while importing; None while the dry run reads (no total yet)
    problem: dict
    rows: list[RowOut]  # the dry run's rows until the import starts, then the import's
    rows_after: int | None  # pass as ?after= for the next page of rows
    created_at: str


class StartIn(InputSchema):
    on_error: str = "skip"


def batch_out(batch, rows) -> dict:
    progress = None
    if batch.state in (BatchState.RUNNING, BatchState.QUEUED, BatchState.DONE, BatchState.STOPPED):
        progress = min(1.0, batch.processed_rows / batch.total_rows) if batch.total_rows else 1.0
    elif batch.state == BatchState.CHECKED:
        progress = 0.0
    return {
        "id": batch.pk, "state": batch.state, "state_label": str(batch.get_state_display()),
        "file_name": batch.file_name, "file_kind": batch.file_kind, "encoding": batch.encoding,
        "encoding_detected": batch.encoding_detected, "mapping": batch.mapping_name, "source": batch.source,
        "on_error": batch.on_error, "register_incomplete": batch.register_incomplete,
        "total_rows": batch.total_rows,
        "dry_run": {"create": batch.dry_created, "skip": batch.dry_skipped, "differ": batch.dry_differs,
                    "fail": batch.dry_failed},
        "imported": {"create": batch.created_count, "skip": batch.skipped_count, "differ": batch.differs_count,
                     "fail": batch.failed_count},
        "processed_rows": batch.processed_rows, "progress": progress, "problem": batch.problem or {},
        "rows": [{"row": r.row_number, "source_id": r.source_id, "outcome": r.outcome, "incomplete": r.incomplete,
                  "ticket": r.ticket.number if r.ticket_id else None,
                  "reasons": [{"field": x.get("field", ""), "column": x.get("column", ""),
                               "reason": x.get("reason", ""), "code": x.get("code", "invalid"),
                               "ticket": x.get("ticket")} for x in r.reasons or []]} for r in rows],
        "rows_after": rows[-1].row_number if len(rows) >= REPORT_ROWS else None,
        "created_at": batch.created_at.isoformat(),
    }
