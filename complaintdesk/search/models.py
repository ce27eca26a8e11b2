from django.db import models
from django.utils.translation import gettext_lazy as _

from complaintdesk.search.vocabulary import WordSource


class DictionaryWord(models.Model):
    """A word of the user dictionary (用户词典): jieba keeps it whole when it segments.

    Seeded from the category names and required-element labels (`dictionary_seed`), edited in
    the admin. A change is seen by every process within SEARCH_DICTIONARY_SECONDS; texts
    indexed before it keep their old words until `complaintdesk search_reindex`.
    """

    word = models.CharField(_("word"), max_length=50, unique=True)
    frequency = models.PositiveIntegerField(
        _("frequency"), null=True, blank=True,
        help_text=_("Leave empty to let jieba choose a frequency that keeps the word whole."),
    )
    source = models.CharField(_("source"), max_length=20, choices=WordSource.choices(),
                              default=WordSource.ADMIN)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("dictionary word")
        verbose_name_plural = _("user dictionary")
        ordering = ["word"]

    def __str__(self):
        return self.word


class SearchDocument(models.Model):
    """A ticket's text as the full-text index reads it: segmented by jieba (search mode),
    words separated by spaces, in parts of falling weight.

    Written only by services/index.py, in the transaction of the service that wrote the
    ticket's text, so the index is never out of step with the ticket. The index itself is
    not a Django field (migration 0002): on PostgreSQL a generated `tsvector` column
    (`simple` configuration, weights A-D by part) with a GIN index; on SQLite an FTS5 table
    with this table as its external content, kept in step by triggers.
    """

    ticket = models.OneToOneField("tickets.Ticket", verbose_name=_("ticket"), primary_key=True,
                                  on_delete=models.CASCADE, related_name="search_document")
    title = models.TextField(_("title"), blank=True)  # weight A
    customer = models.TextField(_("customer name"), blank=True)  # B
    body = models.TextField(_("description and elements"), blank=True)  # B
    work = models.TextField(_("plan, handling notes and reply"), blank=True)  # C
    ledger = models.TextField(_("ledger entries and dossiers"), blank=True)  # D
    indexed_at = models.DateTimeField(_("indexed at"))

    class Meta:
        db_table = "search_document"
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self):
        return str(self.ticket_id)


class ReindexRun(models.Model):
    """A run of `complaintdesk search_reindex`: how far it got, so a stopped run resumes."""

    started_at = models.DateTimeField(_("started at"))
    last_ticket_id = models.BigIntegerField(_("last ticket indexed"), default=0)
    done = models.PositiveIntegerField(_("tickets indexed"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reindex run")
        verbose_name_plural = _("reindex runs")

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} → {self.last_ticket_id}"
