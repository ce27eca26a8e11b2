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
