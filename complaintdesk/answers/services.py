"""The only writers of the answer library, the reply templates' checks and their filling in."""

from __future__ import annotations

import datetime as dt
import string

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.answers.models import AnswerArticle, AnswerUse, ReplyTemplate
from complaintdesk.answers.vocabulary import PLACEHOLDERS
from complaintdesk.core.errors import NotFound, ValidationFailed
from complaintdesk.search.segment import segmented

_FORMATTER = string.Formatter()


def template_check(body: str, field: str = "body") -> None:
    """Refuse a template text whose placeholders are unknown or malformed, naming them: an
    agent must never send a customer "{custmer}" or a half-filled text."""
    try:
        names = [name for _lit, name, _spec, _conv in _FORMATTER.parse(body or "") if name is not None]
    except ValueError:
        raise ValidationFailed.on(field, _("A brace is not closed: write placeholders as {customer}, "
                                           "and a literal brace as {{ or }}.")) from None
    unknown = sorted({n for n in names if n not in PLACEHOLDERS})
    if unknown:
        raise ValidationFailed.on(field, _("Unknown placeholders: %(names)s. Use: %(known)s.") % {
            "names": ", ".join(f"{{{n}}}" for n in unknown),
            "known": ", ".join(f"{{{n}}}" for n in PLACEHOLDERS)})


def template_fill(*, template: ReplyTemplate, values: dict[str, str], language: str) -> str:
    """The template's text in `language` (English falls back to Chinese) with the ticket's
    facts filled in; a fact nobody knows yet (no deadline, no department) is left empty."""
    body = template.body_en if language.startswith("en") and template.body_en else template.body
    return _FORMATTER.vformat(body, (), {name: values.get(name, "") for name in PLACEHOLDERS})


def article_save(*, article: AnswerArticle) -> AnswerArticle:
    """Save an entry of the answer library with its words for the search (both languages'
    title, keywords and text, segmented with jieba)."""
    article.search_terms = segmented(" ".join(
        [article.title, article.title_en, article.keywords, article.body, article.body_en]))
    article.save()
    return article


def answer_use_record(*, ticket_id: int, article_id: int, actor, at: dt.datetime | None = None) -> AnswerUse | None:
    """Record that a library answer was given on a ticket (once per ticket and answer)."""
    article = AnswerArticle.objects.filter(pk=article_id, active=True).only("pk").first()
    if article is None:
        raise NotFound(_("No such answer in the library."))
    try:
        with transaction.atomic():
            return AnswerUse.objects.create(ticket_id=ticket_id, article=article, used_by=actor,
                                            used_at=at or timezone.now())
    except IntegrityError:
        return None  # recorded already


