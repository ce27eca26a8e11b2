"""Reads of the answer library and the reply templates.

The library is small (hundreds of entries, not millions of tickets): a search reads the
active entries that fit the kind and category in one query and ranks them in Python by the
query's words (title and keywords count more than the text), which is both databases' same
answer without a full-text index of its own."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from complaintdesk.answers.models import AnswerArticle, ReplyTemplate
from complaintdesk.search.segment import query_tokens, search_tokens
from complaintdesk.taxonomy.models import Category

MAX_QUERY = 200
TITLE_WEIGHT = 3


@dataclass
class Found:
    article: AnswerArticle
    score: float


def _fits(kind: str, category: Category | None) -> Q:
    """Entries for any kind or this one; for any category or one on this category's path."""
    q = Q(kind="") | Q(kind=kind) if kind else Q()
    if category is not None:
        step = Category.steplen
        paths = [category.path[:i] for i in range(step, len(category.path) + 1, step)]
        q &= Q(category__isnull=True) | Q(category__path__in=paths)
    return q


def articles_search(*, query: str, kind: str = "", category: Category | None = None,
                    limit: int = 5) -> list[Found]:
    """The entries best matching the query's words, best first; none for an empty query.
    One query whatever the library's size."""
    words = query_tokens((query or "")[:MAX_QUERY])
    if not words:
        return []
    rows = (AnswerArticle.objects.filter(_fits(kind, category), active=True)
            .only("id", "code", "title", "title_en", "body", "body_en", "keywords", "search_terms"))
    found = []
    for article in rows:
        terms = article.search_terms.split()
        counts = {w: terms.count(w) for w in words}
        matched = [w for w in words if counts[w]]
        if not matched:
            continue
        # Segmented only for the entries that match: the title and keywords weigh more.
        head = set(search_tokens(f"{article.title} {article.title_en} {article.keywords}"))
        # Each query word found counts once, more when it is in the title or keywords; the
        # share of the query's words found decides first.
        score = len(matched) / len(words) * 10 + sum(
            (TITLE_WEIGHT if w in head else 1) + min(counts[w], 5) / 5 for w in matched)
        found.append(Found(article, score))
    found.sort(key=lambda f: (-f.score, f.article.code))
    return found[:limit]


def article_get(*, article_id: int) -> AnswerArticle | None:
    return AnswerArticle.objects.filter(pk=article_id, active=True).first()


def templates_for(*, purpose: str, kind: str, category: Category | None) -> list[ReplyTemplate]:
    """The active templates of a purpose that fit a ticket's kind and category (one query)."""
    return list(ReplyTemplate.objects.filter(_fits(kind, category), purpose=purpose, active=True)
                .order_by("position", "code"))


def template_get(*, template_id: int) -> ReplyTemplate | None:
    return ReplyTemplate.objects.filter(pk=template_id, active=True).first()


def category_get(*, code: str, kind: str = "") -> Category | None:
    """The category the registration form has chosen (of that kind, if one is given)."""
    if not code:
        return None
    return Category.objects.filter(code=code, **({"kind": kind} if kind else {})).first()
