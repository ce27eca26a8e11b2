"""The import endpoints: upload (the dry run starts by itself), read progress and the row
report, start the import. Parse, call a service or a selector, render."""

from __future__ import annotations

import json

from django.http import FileResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from complaintdesk.core.errors import ValidationFailed
from complaintdesk.imports import schemas as s
from complaintdesk.imports import selectors
from complaintdesk.imports.services import batches as svc
from complaintdesk.imports.services.report import error_report_xlsx
from complaintdesk.imports.vocabulary import BatchState

router = Router(tags=["imports"])


def _out(request, batch, after: int = 0):
    dry = batch.state in (BatchState.CHECKING, BatchState.CHECKED, BatchState.UNREADABLE, BatchState.CANCELLED)
    rows = selectors.batch_report_rows(batch=batch, dry_run=dry, after=after, limit=s.REPORT_ROWS)
    return s.batch_out(batch, rows)


@router.post("/imports", response={201: s.BatchOut}, summary="Upload a file to import")
def create_import(request, file: File[UploadedFile], mapping: Form[str] = "", encoding: Form[str] = "",
                  defaults: Form[str] = "", register_incomplete: Form[str] = ""):
    """Upload an xlsx or csv file. Its dry run starts at once; read its report with
    `GET /imports/{id}`, then `POST /imports/{id}/start`. `defaults`: a JSON object of
    values for rows that have none (e.g. {"category": "billing-overcharge", "source_tier": "12345"}).
    `mapping` may be left out when the header row matches one."""
    try:
        values = json.loads(defaults) if defaults else {}
    except ValueError:
        values = None
    if not isinstance(values, dict):
        raise ValidationFailed.on("defaults", _("Give the defaults as a JSON object of field: value."))
    incomplete = {"": None, "true": True, "1": True, "false": False, "0": False}.get(register_incomplete.lower())
    batch = svc.batch_create(actor=request.user, upload=file, mapping=mapping, encoding=encoding, defaults=values,
                             register_incomplete=incomplete, language=translation.get_language())
    return Status(201, _out(request, selectors.batch_get(viewer=request.user, batch_id=batch.pk)))


@router.get("/imports/{batch_id}", response=s.BatchOut, summary="An import: progress and row report")
def get_import(request, batch_id: int, after: int = 0):
    """The batch's state and counts; `rows`: the rows that failed, differ from an earlier
    import or were registered incomplete (the dry run's until the import starts), 200 a
    page: pass `rows_after` as `?after=` for the next."""
    return _out(request, selectors.batch_get(viewer=request.user, batch_id=batch_id), max(0, after))


@router.post("/imports/{batch_id}/start", response=s.BatchOut, summary="Start the import after the dry run")
def start_import(request, batch_id: int, payload: s.StartIn):
    """`on_error`: `skip` imports the valid rows and reports the others; `stop` imports only
    if the dry run found no invalid row (409 otherwise)."""
    svc.batch_start(actor=request.user, batch_id=batch_id, on_error=payload.on_error)
    return _out(request, selectors.batch_get(viewer=request.user, batch_id=batch_id))


@router.get("/imports/{batch_id}/errors.xlsx", summary="The failed rows with their reasons (xlsx)")
def import_errors(request, batch_id: int):
    batch = selectors.batch_get(viewer=request.user, batch_id=batch_id)
    return FileResponse(error_report_xlsx(batch), as_attachment=True, filename=f"import-{batch.pk}-errors.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
