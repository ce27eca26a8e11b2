"""Reply templates (with placeholders) and the answer library (policies, tariffs,
procedures) that agents search at registration to resolve a case on the spot (000)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaintdesk.answers.vocabulary import TemplatePurpose
from complaintdesk.tickets.vocabulary import Kind


class ReplyTemplate(models.Model):
    """A text with placeholders ({customer}, {number}, ...; see vocabulary.PLACEHOLDERS),
    offered for one purpose, optionally only for one kind and a category subtree."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    purpose = models.CharField(_("used for"), max_length=20, choices=TemplatePurpose.choices())
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    body = models.TextField(_("text"), max_length=4000)
    body_en = models.TextField(_("text (English)"), max_length=4000, blank=True)
    kind = models.CharField(_("only for kind"), max_length=20, choices=Kind.choices(), blank=True)
    category = models.ForeignKey(
        "taxonomy.Category", verbose_name=_("only for category (and below)"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["purpose", "position", "code"]

    def __str__(self):
        return self.name


class AnswerArticle(models.Model):
    """One entry of the answer library: a policy, a tariff, a procedure, in words an agent
    can read out. `search_terms` holds the segmented title, keywords and text (kept by
    services.article_save), so the library is searched by words, not by substrings."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body = models.TextField(_("answer"), max_length=8000)
    body_en = models.TextField(_("answer (English)"), max_length=8000, blank=True)
    keywords = models.CharField(_("keywords"), max_length=300, blank=True,
                                help_text=_("Words customers use for this matter, separated by spaces."))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices(), blank=True)
    category = models.ForeignKey(
        "taxonomy.Category", verbose_name=_("category (and below)"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(_("active"), default=True)
    search_terms = models.TextField(_("search terms"), blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("answer library entry")
        verbose_name_plural = _("answer library")
        ordering = ["code"]

    def __str__(self):
        return self.title


class AnswerUse(models.Model):
    """Which library answer settled a ticket (recorded on the ticket: the library's use is
    counted, and an answer later found wrong leads to the tickets it was given on)."""

    ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE,
                               related_name="answer_uses")
    article = models.ForeignKey(AnswerArticle, verbose_name=_("answer"), on_delete=models.PROTECT,
                                related_name="uses")
    used_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("used by"),
                                on_delete=models.PROTECT, related_name="+")
    used_at = models.DateTimeField(_("used at"))

    class Meta:
        verbose_name = _("answer used")
        verbose_name_plural = _("answers used")
        constraints = [models.UniqueConstraint(fields=["ticket", "article"], name="answer_use_once")]

    def __str__(self):
        return f"{self.ticket_id} ← {self.article_id}"
