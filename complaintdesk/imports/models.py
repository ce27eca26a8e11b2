from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaintdesk.imports.vocabulary import BatchState, OnError, RowOutcome

USER = settings.AUTH_USER_MODEL


class ImportMapping(models.Model):
    """How one source's sheet becomes tickets: which column fills which field, how their words
    become ours, how their dates are written. Edited in the admin; the built-in mappings
    (imports/builtin.py) have the same shape and are used when no row has their name."""

    name = models.SlugField(_("name"), max_length=60, unique=True)
    label = models.CharField(_("label"), max_length=200)
    source = models.CharField(
        _("source"), max_length=60,
        help_text=_("The sender of the sheets; a row's own id is unique within its source."))
    # [[header, target or [targets]], ...] in order: the first column given for the
    # description is its text, later ones are added as “header: value” lines.
    columns = models.JSONField(_("columns"), default=list)
    value_maps = models.JSONField(_("value maps"), default=dict, blank=True,
                                  help_text=_("{field: {their value: our value}}"))
    date_formats = models.JSONField(_("date formats"), default=list, blank=True,
                                    help_text=_("Extra strptime formats, e.g. %d.%m.%Y"))
    defaults = models.JSONField(_("defaults"), default=dict, blank=True,
                                help_text=_("{field: value} for fields no column fills"))
    register_incomplete = models.BooleanField(
        _("register incomplete, flag for review"), default=False,
        help_text=_("A row missing required elements is registered and flagged instead of failing."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")

    def __str__(self):
        return self.label


class ImportBatch(models.Model):
    """One uploaded file and what became of it: the dry run's report, then the import."""

    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255)
    file_size = models.BigIntegerField(_("size"))
    file_kind = models.CharField(_("file type"), max_length=10)  # csv | xlsx
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    encoding_detected = models.BooleanField(_("encoding detected"), default=False)
    mapping_name = models.CharField(_("mapping"), max_length=60)
    # The mapping as it was when the file was uploaded: an edit in the admin during a long
    # import does not change how the rest of the file is read.
    mapping_spec = models.JSONField(_("mapping used"), default=dict)
    source = models.CharField(_("source"), max_length=60, db_index=True)
    defaults = models.JSONField(_("defaults"), default=dict, blank=True)
    register_incomplete = models.BooleanField(_("register incomplete, flag for review"), default=False)
    on_error = models.CharField(_("on error"), max_length=10, choices=OnError.choices(), default=OnError.SKIP)
    state = models.CharField(_("state"), max_length=20, choices=BatchState.choices(), default=BatchState.CHECKING)
    # The uploader's language: the row report is written in it.
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_by = models.ForeignKey(USER, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The dry run's summary (what would be created / skipped / fail) and the import's counts.
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    dry_created = models.PositiveIntegerField(_("would create"), default=0)
    dry_skipped = models.PositiveIntegerField(_("would skip"), default=0)
    dry_differs = models.PositiveIntegerField(_("would report as different"), default=0)
    dry_failed = models.PositiveIntegerField(_("would fail"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    differs_count = models.PositiveIntegerField(_("differs"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    # The last sheet row whose outcome is committed (dry run and import keep their own): a
    # restarted job continues after it.
    dry_last_row = models.PositiveIntegerField(default=0)
    last_row = models.PositiveIntegerField(default=0)
    # Why the file could not be read, or where "stop on any error" stopped: {message, row, fields}.
    problem = models.JSONField(_("problem"), default=dict, blank=True)
    # The worker holding the batch until lease_until; another takes over after it (a killed worker).
    lease_token = models.CharField(max_length=40, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        indexes = [models.Index(fields=["created_by", "-id"], name="import_batch_owner"),
                   models.Index(fields=["state", "lease_until"], name="import_batch_lease")]

    def __str__(self):
        return f"#{self.pk} {self.file_name}"


class ImportRow(models.Model):
    """One sheet row's outcome in a batch, dry run or import. An imported row (created, not a
    dry run) holds its source id under a unique key: the same id is never imported twice,
    whatever the batch or the worker."""

    batch = models.ForeignKey(ImportBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="rows")
    dry_run = models.BooleanField(_("dry run"), default=False)
    row_number = models.PositiveIntegerField(_("row"))
    source = models.CharField(_("source"), max_length=60)
    source_id = models.CharField(_("source id"), max_length=100, blank=True)
    text_hash = models.CharField(_("text hash"), max_length=32, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=RowOutcome.choices())
    incomplete = models.BooleanField(_("incomplete, flagged for review"), default=False)
    # [{field, reason, code}] in the language of whoever uploaded; also the notes of a
    # skipped or differing row (which ticket it matches).
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("ticket"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        constraints = [
            models.UniqueConstraint(fields=["batch", "dry_run", "row_number"], name="import_row_once"),
            models.UniqueConstraint(fields=["source", "source_id"], condition=Q(outcome="created", dry_run=False),
                                    name="import_source_id_once"),
        ]
        indexes = [models.Index(fields=["source", "source_id"], name="import_row_source_id"),
                   models.Index(fields=["ticket"], name="import_row_ticket")]

    def __str__(self):
        return f"{self.batch_id}:{self.row_number}"


__all__ = ["ImportBatch", "ImportMapping", "ImportRow", "RowOutcome"]
