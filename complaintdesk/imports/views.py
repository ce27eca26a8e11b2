"""The import pages (/imports/): upload with mapping, encoding and defaults; the batch page
with the dry run's report, the start buttons, a progress bar polled by htmx and the error
report. Every read goes through the scoped selectors; every change is a POST."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from complaintdesk.core.errors import DomainError, NotFound
from complaintdesk.imports import reading, selectors
from complaintdesk.imports.services import batches as svc
from complaintdesk.imports.services.mappings import mapping_specs
from complaintdesk.imports.services.report import error_report_xlsx
from complaintdesk.imports.vocabulary import ACTIVE_STATES, BatchState, OnError
from complaintdesk.tickets.vocabulary import Channel, SourceTier

DRY_STATES = (BatchState.CHECKING, BatchState.CHECKED, BatchState.UNREADABLE, BatchState.CANCELLED)


def _guard(request):
    if not svc.may_import(request.user):
        raise PermissionDenied


def _form_context(request, values=None, errors=None):
    return {
        "specs": list(mapping_specs().values()), "encodings": list(reading.ENCODINGS),
        "tiers": list(SourceTier), "channels": list(Channel), "values": values or {}, "errors": errors or [],
        "max_mb": settings.IMPORT_MAX_BYTES // (1024 * 1024),
        "batches": selectors.batch_list(viewer=request.user, limit=30), "nav_active": "imports",
    }


@login_required
@require_http_methods(["GET", "POST"])
def home(request):
    _guard(request)
    if request.method == "GET":
        return render(request, "imports/home.html", _form_context(request))
    # A file over the limit is refused from its announced length, before the body is read.
    if int(request.META.get("CONTENT_LENGTH") or 0) > settings.IMPORT_MAX_BYTES + 64 * 1024:
        errors = [gettext("The file is larger than %(max)d MB: split it.")
                  % {"max": settings.IMPORT_MAX_BYTES // (1024 * 1024)}]
        return render(request, "imports/home.html", _form_context(request, errors=errors), status=413)
    values = {k: request.POST.get(k, "").strip() for k in ("mapping", "encoding", "category", "source_tier",
                                                             "channel", "register_incomplete")}
    upload = request.FILES.get("file")
    if upload is None:
        return render(request, "imports/home.html",
                      _form_context(request, values, [gettext("Choose a file to import.")]), status=422)
    defaults = {k: values[k] for k in ("category", "source_tier", "channel") if values[k]}
    try:
        batch = svc.batch_create(actor=request.user, upload=upload, mapping=values["mapping"],
                                 encoding=values["encoding"], defaults=defaults,
                                 register_incomplete=True if values["register_incomplete"] else None,
                                 language=translation.get_language())
    except DomainError as exc:
        errors = [f"{f.reason}" for f in exc.fields] or [str(exc.message)]
        return render(request, "imports/home.html", _form_context(request, values, errors), status=422)
    return HttpResponseRedirect(reverse("imports:batch", args=[batch.pk]))


def _batch(request, batch_id):
    try:
        return selectors.batch_get(viewer=request.user, batch_id=batch_id)
    except NotFound:
        raise Http404 from None


def _batch_context(batch):
    dry = batch.state in DRY_STATES
    rows = selectors.batch_report_rows(batch=batch, dry_run=dry, limit=200)
    share = None
    if batch.total_rows and not dry:
        share = min(100, round(100 * batch.processed_rows / batch.total_rows))
    return {"batch": batch, "rows": rows, "dry": dry, "active": batch.state in ACTIVE_STATES, "percent": share,
            "can_start": batch.state == BatchState.CHECKED and batch.dry_created > 0,
            "can_stop_mode": batch.dry_failed == 0, "nav_active": "imports",
            "checking": batch.state == BatchState.CHECKING, "unreadable": batch.state == BatchState.UNREADABLE,
            "problem_fields": (batch.problem or {}).get("fields", [])}


@login_required
@require_GET
def batch_page(request, batch_id: int):
    _guard(request)
    return render(request, "imports/batch.html", _batch_context(_batch(request, batch_id)))


@login_required
@require_GET
def batch_progress(request, batch_id: int):
    """The part of the page that changes while a job runs; polled by htmx every second."""
    _guard(request)
    batch = _batch(request, batch_id)
    response = render(request, "imports/_progress.html", _batch_context(batch))
    if batch.state not in ACTIVE_STATES:
        # Finished: the whole page again (report, buttons), once.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def batch_start(request, batch_id: int):
    _guard(request)
    _batch(request, batch_id)
    on_error = request.POST.get("on_error", OnError.SKIP)
    try:
        svc.batch_start(actor=request.user, batch_id=batch_id, on_error=on_error)
    except DomainError as exc:
        flash.error(request, str(exc.message))
    return HttpResponseRedirect(reverse("imports:batch", args=[batch_id]))


@login_required
@require_GET
def batch_errors(request, batch_id: int):
    _guard(request)
    batch = _batch(request, batch_id)
    return FileResponse(error_report_xlsx(batch), as_attachment=True, filename=f"import-{batch.pk}-errors.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


__all__ = ["batch_errors", "batch_page", "batch_progress", "batch_start", "home"]
