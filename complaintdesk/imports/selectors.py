"""Reads of import batches, scoped to the viewer: administrators see every batch, supervisors
those uploaded in their org unit's subtree, everyone else their own."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import NotFound
from complaintdesk.imports.facts import batch_scope
from complaintdesk.imports.models import ImportBatch, ImportRow
from complaintdesk.imports.vocabulary import RowOutcome


def visible_batches(viewer) -> QuerySet:
    scope = batch_scope(viewer)
    batches = ImportBatch.objects.all()
    return batches if scope is None else batches.filter(scope)


def batch_list(*, viewer, limit: int = 50) -> list[ImportBatch]:
    return list(visible_batches(viewer).select_related("created_by").order_by("-id")[:limit])


def batch_get(*, viewer, batch_id: int) -> ImportBatch:
    batch = visible_batches(viewer).select_related("created_by").filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(_("No such import batch."))
    return batch


def batch_report_rows(*, batch: ImportBatch, dry_run: bool, problems_only: bool = True, after: int = 0,
                      limit: int = 200) -> list[ImportRow]:
    """The rows of the report, by row number (keyset on it): by default only those that
    failed, differ from an earlier import or were registered incomplete."""
    rows = ImportRow.objects.filter(batch=batch, dry_run=dry_run, row_number__gt=after)
    if problems_only:
        rows = rows.filter(Q(outcome__in=[RowOutcome.FAILED, RowOutcome.DIFFERS]) | Q(incomplete=True))
    return list(rows.select_related("ticket").only(
        "row_number", "source_id", "outcome", "incomplete", "reasons", "ticket__id", "ticket__number")
        .order_by("row_number")[:limit])


def batch_failed_rows(*, batch: ImportBatch, dry_run: bool):
    """Every failed row, streamed (the error report)."""
    return (ImportRow.objects.filter(batch=batch, dry_run=dry_run, outcome=RowOutcome.FAILED)
            .only("row_number", "source_id", "reasons").order_by("row_number").iterator(chunk_size=2000))
