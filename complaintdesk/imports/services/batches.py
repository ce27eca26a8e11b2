"""File imports (issue 10 §1): upload → dry run → import, each a job that reads the file
again row by row and commits its outcome chunk by chunk.

- Every row goes through the intake service (`ticket_register`) like any other channel; the
  dry run asks the same validation (`ticket_draft_check`) without writing a ticket.
- Idempotent by the source's own id: an imported row's (source, source id) is unique
  (ImportRow's partial unique index), so a re-import skips it, and one whose text changed is
  reported as differing, never overwritten.
- Resumable: a chunk is one transaction holding its tickets, its ImportRow rows and the batch's
  `last_row`; a worker killed mid-chunk leaves nothing of that chunk, and the next worker (after
  the lease expires) reads the file again from the row after `last_row`. No row is lost or
  done twice.
- A file that cannot be read (encoding, binary, size, header only...) is found by the dry
  run, which every import starts with: it changes nothing."""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from complaintdesk.imports import reading
from complaintdesk.imports.facts import batch_scope
from complaintdesk.imports.mapping import DATE_TARGETS, MappedRow, MappingSpec, RowMapper
from complaintdesk.imports.models import ImportBatch, ImportRow
from complaintdesk.imports.services.mappings import find_header, lookups, mapping_choose
from complaintdesk.imports.vocabulary import IMPORT_ROLES, BatchState, OnError, RowOutcome
from complaintdesk.tickets.services.events import event_append
from complaintdesk.tickets.services.intake import TicketDraft, ticket_register
from complaintdesk.tickets.services.intake_batch import missing_elements, ticket_draft_check
from complaintdesk.tickets.vocabulary import EventType

log = logging.getLogger(__name__)
DRAFT_FIELDS = ("kind", "category", "channel", "title", "description", "phone", "customer_name",
                "customer_segment", "contact_phone", "product", "severity", "org_unit", "source_tier",
                "regulator_ref", "special_type")


def may_import(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (user.is_superuser or user.role in IMPORT_ROLES)


def _require(user):
    if not may_import(user):
        raise Forbidden(_("Only dispatchers, supervisors and administrators may import files."))


# --- Upload ---------------------------------------------------------------------------------

def batch_create(*, actor, upload, mapping: str = "", encoding: str = "", defaults: dict | None = None,
                 register_incomplete: bool | None = None, language: str = "", queue: bool = True) -> ImportBatch:
    """Check the file (size, type, encoding, header) and record the batch; its dry run is
    queued when the transaction commits (`queue=False`: the caller runs it, as the CLI does).
    Refused with a clear reason, nothing stored."""
    _require(actor)
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, os.SEEK_END)
        size = upload.tell()
    if size > settings.IMPORT_MAX_BYTES:
        raise ValidationFailed.on("file", _("The file is %(size)s MB; at most %(max)d MB can be imported at once: "
                                            "split it.") % {"size": f"{size / 1048576:.1f}",
                                                            "max": settings.IMPORT_MAX_BYTES // 1048576}, "too_large")
    if size == 0:
        raise ValidationFailed.on("file", _("The file is empty."), "empty")
    defaults = _clean_defaults(defaults or {})
    name = os.path.basename(getattr(upload, "name", "") or "import")[:200]
    batch = ImportBatch(file_name=name, file_size=size, created_by=actor, defaults=defaults,
                        language=language or translation.get_language() or settings.LANGUAGE_CODE)
    upload.seek(0)
    batch.file.save(f"{uuid.uuid4().hex}{os.path.splitext(name)[1][:10].lower()}", File(upload), save=False)
    try:
        path = batch.file.path
        try:
            sniffed = reading.sniff(path, encoding=encoding)
            first = []
            for item in reading.rows(path, sniffed):
                first.append(item)
                if len(first) >= 10:
                    break
        except reading.FileUnreadable as exc:
            raise ValidationFailed.on("encoding" if exc.code == "encoding" else "file", exc.message, exc.code) from None
        if not first:
            raise ValidationFailed.on("file", _("The file holds no rows."), "empty")
        spec, _header = mapping_choose(mapping, first)
        batch.file_kind, batch.encoding, batch.encoding_detected = sniffed.kind, sniffed.encoding, sniffed.detected
        batch.mapping_name, batch.mapping_spec = spec.name, spec.as_json()
        batch.source = _source(spec, defaults)
        batch.register_incomplete = spec.register_incomplete if register_incomplete is None else register_incomplete
        batch.state = BatchState.CHECKING
        with transaction.atomic():
            batch.save()
            if queue:
                transaction.on_commit(lambda: enqueue(batch.pk))
    except BaseException:
        batch.file.delete(save=False)
        raise
    return batch


def _clean_defaults(defaults: dict) -> dict:
    allowed = set(DRAFT_FIELDS) | {"special"}
    out = {}
    for key, value in defaults.items():
        if value in (None, ""):
            continue
        if key not in allowed and not str(key).startswith("elements."):
            raise ValidationFailed.on("defaults", _("“%(field)s” is not a field a default can fill.")
                                      % {"field": str(key)[:40]})
        out[key] = str(value).strip()[:200]
    return out


def _source(spec: MappingSpec, defaults: dict) -> str:
    # Two regulators number their transfers independently: their ids are unique per body.
    tier = defaults.get("source_tier")
    return f"{spec.source}:{tier}"[:60] if tier and spec.builtin and spec.source == "regulator-transfer" \
        else spec.source[:60]


def enqueue(batch_id: int) -> None:
    from complaintdesk.imports.services.jobs import import_job

    import_job(batch_id)


# --- Start, cancel ----------------------------------------------------------------------------

def batch_start(*, actor, batch_id: int, on_error: str, queue: bool = True) -> ImportBatch:
    """After the dry run: import the valid rows, or all rows only if none is invalid."""
    _require(actor)
    try:
        mode = OnError(on_error)
    except ValueError:
        raise ValidationFailed.on("on_error", _("Choose “skip” or “stop”.")) from None
    with transaction.atomic():
        batch = _locked(actor, batch_id)
        if batch.state != BatchState.CHECKED:
            raise Conflict(_("This batch cannot be started now (%(state)s).") % {"state": batch.get_state_display()})
        if mode == OnError.STOP and batch.dry_failed:
            raise Conflict(_("The dry run found %(n)d invalid rows and you chose to stop on any error: fix the "
                             "file, or import only the valid rows.") % {"n": batch.dry_failed})
        if not batch.dry_created:
            raise Conflict(_("No row of this file would create a ticket."))
        batch.on_error, batch.state = mode, BatchState.QUEUED
        batch.save(update_fields=["on_error", "state", "updated_at"])
        if queue:
            transaction.on_commit(lambda: enqueue(batch.pk))
    return batch


def batch_cancel(*, actor, batch_id: int) -> ImportBatch:
    with transaction.atomic():
        batch = _locked(actor, batch_id)
        if batch.state not in (BatchState.CHECKED, BatchState.QUEUED, BatchState.CHECKING, BatchState.RUNNING):
            raise Conflict(_("This batch cannot be cancelled now (%(state)s).") % {"state": batch.get_state_display()})
        batch.state = BatchState.CANCELLED
        batch.save(update_fields=["state", "updated_at"])
    return batch


def _locked(actor, batch_id: int) -> ImportBatch:
    scope = batch_scope(actor)
    batches = ImportBatch.objects.all() if scope is None else ImportBatch.objects.filter(scope)
    batch = batches.select_for_update(of=("self",)).filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(_("No such import batch."))
    return batch


# --- The job ------------------------------------------------------------------------------------

class LeaseLost(Exception):
    """Another worker took the batch over (this one was too slow to renew its lease)."""


def _claim(batch_id: int, token: str) -> ImportBatch | None:
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    until = now + dt.timedelta(seconds=settings.IMPORT_LEASE_SECONDS)
    n = (ImportBatch.objects.filter(free, pk=batch_id, state__in=[BatchState.CHECKING, BatchState.QUEUED,
                                                                    BatchState.RUNNING])
         .update(lease_token=token, lease_until=until))
    if not n:
        return None
    return ImportBatch.objects.select_related("created_by__org_unit").get(pk=batch_id)


def batch_run(batch_id: int, *, progress=None, token: str | None = None) -> ImportBatch | None:
    """The job: the dry run if it is not done, then the import if it was started. Safe to
    call any number of times and from several workers: one holds the lease, the others return."""
    token = token or uuid.uuid4().hex
    batch = _claim(batch_id, token)
    if batch is None:
        return None
    try:
        with translation.override(batch.language or settings.LANGUAGE_CODE):
            if batch.state == BatchState.CHECKING:
                _process(batch, token, dry_run=True, progress=progress)
                batch.refresh_from_db()
            if batch.state in (BatchState.QUEUED, BatchState.RUNNING):
                if batch.state == BatchState.QUEUED:
                    ImportBatch.objects.filter(pk=batch.pk, lease_token=token).update(
                        state=BatchState.RUNNING, started_at=timezone.now())
                    batch.refresh_from_db()
                _process(batch, token, dry_run=False, progress=progress)
    except LeaseLost:
        log.warning("import batch %s: lease taken over by another worker", batch_id)
        return None
    finally:
        ImportBatch.objects.filter(pk=batch_id, lease_token=token).update(lease_token="", lease_until=None)
    batch.refresh_from_db()
    return batch


def batches_resume_stalled() -> list[int]:
    """Batches whose worker died (lease expired) or whose job was lost: queued again."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.IMPORT_LEASE_SECONDS)
    ids = list(ImportBatch.objects.filter(state__in=[BatchState.CHECKING, BatchState.QUEUED, BatchState.RUNNING])
               .filter(Q(lease_until__lt=now) | Q(lease_until__isnull=True, updated_at__lt=stale))
               .values_list("id", flat=True)[:100])
    for batch_id in ids:
        enqueue(batch_id)
    return ids


@dataclass
class _Reader:
    mapper: RowMapper
    rows: object  # iterator of (row_number, values) after the header


def _reader(batch: ImportBatch) -> _Reader:
    sniffed = reading.Sniffed(kind=batch.file_kind, encoding=batch.encoding)
    it = reading.rows(batch.file.path, sniffed)
    spec = MappingSpec.from_json(batch.mapping_spec)
    first = []
    for item in it:
        first.append(item)
        if len(first) >= 10:
            break
    header = find_header(first, spec)
    if header is None:
        raise reading.FileUnreadable(_("The header row is no longer found in the file."), code="header")
    mapper = RowMapper(spec, header, lookups=lookups(), defaults=batch.defaults)

    def after_header():
        for number, values in first:
            if number > header.row_number:
                yield number, values
        yield from it

    return _Reader(mapper=mapper, rows=after_header())


def _process(batch: ImportBatch, token: str, *, dry_run: bool, progress=None) -> None:
    chunk_size = settings.IMPORT_CHUNK_ROWS
    start_after = batch.dry_last_row if dry_run else batch.last_row
    seen: dict[str, int] = {}
    count = 0
    try:
        reader = _reader(batch)
        chunk: list[tuple[int, list]] = []
        for number, values in reader.rows:
            count += 1
            if count > settings.IMPORT_MAX_ROWS:
                raise reading.FileUnreadable(_("The file has more than %(n)s rows: split it.")
                                             % {"n": f"{settings.IMPORT_MAX_ROWS:,}"}, code="too_many_rows")
            if number <= start_after:
                # Done before a restart: only its id is needed, for duplicates within the file.
                sid = reader.mapper.source_id(values)
                if sid:
                    seen.setdefault(sid, number)
                continue
            chunk.append((number, values))
            if len(chunk) >= chunk_size:
                _chunk(batch, token, reader.mapper, chunk, seen, dry_run=dry_run)
                chunk = []
                if progress:
                    progress(batch)
        if chunk:
            _chunk(batch, token, reader.mapper, chunk, seen, dry_run=dry_run)
    except reading.FileUnreadable as exc:
        _finish(batch, token, BatchState.UNREADABLE, problem={"message": str(exc.message), "code": exc.code,
                                                              "row": exc.row})
        return
    except _Stopped as stop:
        _finish(batch, token, BatchState.STOPPED, problem={"message": str(_(
            "Stopped at row %(row)d, which cannot be imported; the rows before it were imported.")
            % {"row": stop.row}), "row": stop.row, "fields": stop.reasons})
        return
    if dry_run:
        batch.refresh_from_db()
        if count == 0:
            _finish(batch, token, BatchState.UNREADABLE, problem={
                "message": str(_("The file has a header row but no rows to import.")), "code": "header_only"})
        else:
            _finish(batch, token, BatchState.CHECKED, total_rows=count)
    else:
        _finish(batch, token, BatchState.DONE, finished_at=timezone.now())
    if progress:
        progress(batch)


class _Stopped(Exception):
    def __init__(self, row: int, reasons: list):
        self.row, self.reasons = row, reasons


def _finish(batch: ImportBatch, token: str, state: str, **fields) -> None:
    n = ImportBatch.objects.filter(pk=batch.pk, lease_token=token).exclude(state=BatchState.CANCELLED).update(
        state=state, updated_at=timezone.now(), **fields)
    if n:
        batch.state = state


def _reasons(errors, mapper: RowMapper) -> list[dict]:
    """[{field, column, reason, code}] in the batch's language; column: the sheet's header."""
    columns = {}
    for label, targets in zip(mapper.header.labels, mapper.header.columns, strict=False):
        for t in targets:
            columns.setdefault(t, label)
    out = []
    for e in errors:
        if isinstance(e, FieldError):
            field, reason, code = e.field, str(e.reason), e.code
        else:
            field, reason, code = e[0], str(e[1]), "invalid"
        out.append({"field": field, "column": columns.get(field, ""), "reason": reason, "code": code})
    return out


def _draft(mapped: MappedRow) -> tuple[TicketDraft, list]:
    f = mapped.fields
    errors = []
    draft = TicketDraft(
        **{name: str(f.get(name, "") or "") for name in DRAFT_FIELDS},
        special=bool(f.get("special", False)),
        elements=dict(mapped.elements),
        first_reported_at=f.get("first_reported_at"), agreed_time=f.get("agreed_time"),
        regulator_due_at=f.get("regulator_due_at"),
    )
    if mapped.due_duration is not None:
        days, working = mapped.due_duration
        start = draft.first_reported_at or timezone.now()
        try:
            draft.regulator_due_at = _due_after(start, days, working)
        except NotImplementedError:
            errors.append(("regulator_due_at", _("The official holidays of %(year)d are not published yet: give the "
                                                 "deadline as a date.") % {"year": start.year}))
    return draft, errors


def _due_after(start: dt.datetime, days: int, working: bool) -> dt.datetime:
    local = timezone.localtime(start)
    if working:
        import chinese_calendar

        day, left = local.date(), days
        while left > 0:
            day += dt.timedelta(days=1)
            if chinese_calendar.is_workday(day):
                left -= 1
    else:
        day = local.date() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


def _chunk(batch: ImportBatch, token: str, mapper: RowMapper, chunk, seen: dict, *, dry_run: bool) -> None:
    for attempt in range(3):
        try:
            with transaction.atomic():
                _chunk_once(batch, token, mapper, chunk, seen, dry_run=dry_run)
            break
        except IntegrityError:
            # A concurrent batch imported one of these ids between our look-up and our insert:
            # the chunk is undone and done again (the look-up now sees that batch's rows).
            for number, values in chunk:
                sid = mapper.source_id(values)
                if seen.get(sid) == number:
                    del seen[sid]
            if attempt == 2:
                raise


def _chunk_once(batch: ImportBatch, token: str, mapper: RowMapper, chunk, seen: dict, *, dry_run: bool) -> None:
    locked = (ImportBatch.objects.select_for_update().filter(pk=batch.pk, lease_token=token)
              .values_list("state", flat=True).first())
    if locked is None or locked == BatchState.CANCELLED:
        raise LeaseLost
    actor = batch.created_by
    mapped_rows = [mapper.map(number, values) for number, values in chunk]
    ids = {m.source_id for m in mapped_rows if m.source_id}
    earlier = {r["source_id"]: r for r in ImportRow.objects.filter(
        source=batch.source, source_id__in=ids, outcome=RowOutcome.CREATED, dry_run=False)
        .values("source_id", "text_hash", "ticket_id", "ticket__number", "batch_id")}
    rows, counts = [], {o: 0 for o in RowOutcome}
    for m in mapped_rows:
        outcome, reasons, ticket, incomplete = _row(batch, actor, mapper, m, seen, earlier, dry_run=dry_run)
        counts[outcome] += 1
        rows.append(ImportRow(batch_id=batch.pk, dry_run=dry_run, row_number=m.row_number, source=batch.source,
                              source_id=m.source_id, text_hash=m.text_hash, outcome=outcome, reasons=reasons,
                              ticket=ticket, incomplete=incomplete))
    ImportRow.objects.bulk_create(rows)
    last = chunk[-1][0]
    lease = timezone.now() + dt.timedelta(seconds=settings.IMPORT_LEASE_SECONDS)
    if dry_run:
        update = dict(dry_created=F("dry_created") + counts[RowOutcome.CREATED],
                      dry_skipped=F("dry_skipped") + counts[RowOutcome.SKIPPED],
                      dry_differs=F("dry_differs") + counts[RowOutcome.DIFFERS],
                      dry_failed=F("dry_failed") + counts[RowOutcome.FAILED], dry_last_row=last)
    else:
        update = dict(created_count=F("created_count") + counts[RowOutcome.CREATED],
                      skipped_count=F("skipped_count") + counts[RowOutcome.SKIPPED],
                      differs_count=F("differs_count") + counts[RowOutcome.DIFFERS],
                      failed_count=F("failed_count") + counts[RowOutcome.FAILED],
                      processed_rows=F("processed_rows") + len(chunk), last_row=last)
    ImportBatch.objects.filter(pk=batch.pk).update(lease_until=lease, updated_at=timezone.now(), **update)


def _row(batch, actor, mapper: RowMapper, m: MappedRow, seen: dict, earlier: dict, *, dry_run: bool):
    """(outcome, reasons, ticket, incomplete) of one row; a created ticket in import mode."""
    if m.source_id:
        first = seen.get(m.source_id)
        if first is not None and first != m.row_number:
            return RowOutcome.FAILED, _reasons([("source_id", _(
                "The id “%(id)s” appears again: row %(row)d has it already. Each row needs its own id.")
                % {"id": m.source_id, "row": first})], mapper), None, False
        seen[m.source_id] = m.row_number
        before = earlier.get(m.source_id)
        if before is not None:
            note = {"field": "source_id", "column": "", "code": "imported",
                    "ticket": before["ticket__number"] or "", "ticket_id": before["ticket_id"]}
            if before["text_hash"] == m.text_hash:
                note["reason"] = str(_("Already imported as %(number)s.") % {"number": before["ticket__number"]})
                return RowOutcome.SKIPPED, [note], None, False
            note["reason"] = str(_("Imported before as %(number)s with a different text: not overwritten; "
                                   "check it by hand.") % {"number": before["ticket__number"]})
            note["code"] = "differs"
            return RowOutcome.DIFFERS, [note], None, False
    draft, draft_errors = _draft(m)
    errors = [*m.errors, *draft_errors]
    if errors:
        return _failed(batch, mapper, m, errors, dry_run)
    if dry_run:
        # The import itself needs no separate check: ticket_register runs the same validation.
        problems = ticket_draft_check(actor=actor, draft=draft, incomplete_ok=batch.register_incomplete)
        if problems:
            return _failed(batch, mapper, m, problems, dry_run)
    missing = missing_elements(category_code=draft.category, elements=draft.elements) \
        if batch.register_incomplete else []
    notes = _reasons([FieldError(f"elements.{k}", _("Missing: registered incomplete, flagged for review."),
                                 "incomplete") for k in missing], mapper)
    if dry_run:
        return RowOutcome.CREATED, notes, None, bool(missing)
    try:
        with transaction.atomic():
            ticket, _created = ticket_register(actor=actor, draft=draft, incomplete_ok=batch.register_incomplete)
            payload = {"batch": batch.pk, "file": batch.file_name, "row": m.row_number, "source": batch.source,
                       "source_id": m.source_id, "channel": ticket.channel}
            if missing:
                payload["incomplete"] = missing
            event_append(ticket=ticket, type=EventType.IMPORTED, actor=actor, payload=payload)
    except ValidationFailed as exc:
        return _failed(batch, mapper, m, exc.fields or [FieldError("", exc.message)], dry_run)
    except DomainError as exc:
        return _failed(batch, mapper, m, [FieldError("", exc.message, exc.code)], dry_run)
    return RowOutcome.CREATED, notes, ticket, bool(missing)


def _failed(batch, mapper, m: MappedRow, errors, dry_run: bool):
    reasons = _reasons(errors, mapper)
    if not dry_run and batch.on_error == OnError.STOP:
        raise _Stopped(m.row_number, reasons)
    return RowOutcome.FAILED, reasons, None, False


__all__ = ["DATE_TARGETS", "batch_cancel", "batch_create", "batch_run", "batch_start", "batches_resume_stalled",
           "may_import"]
