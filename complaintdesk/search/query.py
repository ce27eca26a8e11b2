"""A search box's text → the full-text query both databases run (pure: no ORM).

The query is cut with jieba's precise mode (segment.query_tokens). Each word becomes a term;
a long word also matches a text where it was indexed as its parts (服务态度 matches
服务 态度, because search mode indexes a longer word's dictionary parts but a word of four or
more characters inside a still longer word is only there as its parts). Short queries AND
their terms; a long one (more than AND_MAX words, e.g. a pasted fault description) would
match nothing that way, so it ORs its content words and leaves the rest to the ranking.

Rendered for PostgreSQL (`to_tsquery('simple', …)` syntax) and for SQLite FTS5 (MATCH
syntax). Every token is letters and digits only (segment.py), so quoting is safe and the
two render the same condition: same results on both databases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from complaintdesk.search import segment

MAX_LENGTH = 200  # characters; the box and the API refuse longer queries with a clear message
AND_MAX = 6  # words; more → any word matches, ranked
OR_MAX = 24  # words kept of a long query

# Words too common to narrow a long query (function words, pronouns, the commonest verbs).
STOP_WORDS = frozenset(
    ["的", "了", "和", "是", "就", "都", "而", "及", "与", "着", "或", "一个", "没有", "我们", "你们", "他们", "她们", "它们", "我", "你", "他", "她", "它", "这", "那", "这个", "那个", "这些", "那些", "有", "在", "也", "又", "还", "但", "但是", "而且", "并且", "因为", "所以", "如果", "就是", "已经", "不是", "可以", "什么", "怎么", "为什么", "一直", "一下", "现在", "时候", "问题", "情况", "然后", "之后", "以后", "之前", "以前", "说", "让", "把", "被", "给", "对", "向", "从", "到", "于", "为", "以", "等", "个", "吗", "吧", "呢", "啊", "呀", "哦", "嗯"]
)

_HAN = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Term:
    """One query word: it matches when the text has the word, or all of its parts."""

    word: str
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchQuery:
    terms: tuple[Term, ...]
    any: bool = False  # OR the terms (a long query) instead of AND

    @property
    def empty(self) -> bool:
        return not self.terms

    @property
    def words(self) -> list[str]:
        """Every word a matching text may contain (for the highlighter)."""
        out: dict[str, None] = {}
        for term in self.terms:
            out.setdefault(term.word, None)
            for part in term.parts:
                out.setdefault(part, None)
        return list(out)


def _parts(word: str) -> tuple[str, ...]:
    """The dictionary words inside `word` that cover all of it, or () when they don't."""
    if len(word) < 3 or not _HAN.search(word):
        return ()
    parts = [t for t in segment.search_tokens(word) if t != word]
    covered = [False] * len(word)
    for part in parts:
        start = word.find(part)
        while start >= 0:
            for i in range(start, start + len(part)):
                covered[i] = True
            start = word.find(part, start + 1)
    if not parts or not all(covered):
        return ()
    # Keep only the parts not inside another part (刹车片 → 刹车, 车片 is enough).
    keep = [p for p in dict.fromkeys(parts) if not any(p != q and p in q for q in parts)]
    return tuple(keep)


def parse(text: str) -> SearchQuery:
    words = segment.query_tokens(text)
    any_ = len(words) > AND_MAX
    if any_:
        content = [w for w in words if w not in STOP_WORDS and not (len(w) == 1 and _HAN.match(w))]
        words = (content or words)[:OR_MAX]
    return SearchQuery(tuple(Term(w, _parts(w)) for w in words), any=any_)


def _join(items: list[str], op: str) -> str:
    return items[0] if len(items) == 1 else "(" + f" {op} ".join(items) + ")"


def tsquery(query: SearchQuery) -> str:
    """The condition in to_tsquery syntax ('a' & ('bc' | 'b' & 'c'))."""
    terms = []
    for term in query.terms:
        alternatives = [f"'{term.word}'"]
        if term.parts:
            alternatives.append(_join([f"'{p}'" for p in term.parts], "&"))
        terms.append(_join(alternatives, "|"))
    return _join(terms, "|" if query.any else "&")


def fts5(query: SearchQuery) -> str:
    """The condition in FTS5 MATCH syntax ("a" AND ("bc" OR ("b" AND "c")))."""
    terms = []
    for term in query.terms:
        alternatives = [f'"{term.word}"']
        if term.parts:
            alternatives.append(_join([f'"{p}"' for p in term.parts], "AND"))
        terms.append(_join(alternatives, "OR"))
    return _join(terms, "OR" if query.any else "AND")
