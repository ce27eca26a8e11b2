"""The user dictionary: read by the segmenter, seeded from the category tree."""

from __future__ import annotations

import re

from django.db import transaction

from complaintdesk.search import segment
from complaintdesk.search.models import DictionaryWord
from complaintdesk.search.vocabulary import WordSource
from complaintdesk.taxonomy.models import Category, RequiredElement

# Only Chinese names are worth a dictionary entry: jieba already keeps Latin words whole.
_HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{2,}")
MAX_WORD = DictionaryWord._meta.get_field("word").max_length


def dictionary_words() -> list[tuple[str, int | None]]:
    """The active user words, as the segmenter's loader wants them (one query)."""
    return list(DictionaryWord.objects.filter(active=True).values_list("word", "frequency"))


def _words_of(name: str) -> list[str]:
    return [w for w in _HAN_RUN.findall(segment.normalise(name or "")) if len(w) <= MAX_WORD]


def dictionary_seed() -> int:
    """Add the category names and required-element labels that are not yet words (an entry
    the admin switched off stays off). Returns how many words were added."""
    candidates: dict[str, str] = {}
    for name in Category.objects.values_list("name", flat=True):
        for word in _words_of(name):
            candidates.setdefault(word, WordSource.CATEGORY)
    for label in RequiredElement.objects.values_list("label", flat=True):
        for word in _words_of(label):
            candidates.setdefault(word, WordSource.ELEMENT)
    with transaction.atomic():
        known = set(DictionaryWord.objects.filter(word__in=candidates).values_list("word", flat=True))
        new = [DictionaryWord(word=w, source=s) for w, s in candidates.items() if w not in known]
        DictionaryWord.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        segment.user_words_changed()
    return len(new)


def dictionary_changed() -> None:
    """The admin saved or deleted words: apply them in this process now."""
    segment.user_words_changed()
