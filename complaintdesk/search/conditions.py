"""Full-text reads: one condition and one rank for both databases, and the highlighter.

`text_condition(q)` is what every text box filters with (the worklists, the API's `?q=`, the
search page, the ledger): a ticket number or a phone number exactly, or the words in the
full-text index. `rank_expression(q)` orders by relevance (PostgreSQL `ts_rank` over the
weighted tsvector, SQLite FTS5 `bm25` with the same weights; higher is better on both).
Neither widens a queryset: they narrow whatever scoped queryset they are applied to, so a
handler never finds a ticket `visible_tickets` would not show him.
"""

from __future__ import annotations

import html
import re
import threading
import time
import unicodedata
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Expression, FloatField, Q
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import ValidationFailed
from complaintdesk.core.phones import normalize_phone
from complaintdesk.customers.models import CustomerPhone
from complaintdesk.search import query as search_query
from complaintdesk.search.segment import normalise

_PHONE_CHARS = frozenset("0123456789+-() .")
# The start of a ticket number: its kind's letters and at least four digits (TS2026…).
_NUMBER = re.compile(r"^[a-z]{1,4}\d{4,}$")


class _TicketSQL(Expression):
    """Raw SQL about the row's ticket id, with the outer table's alias filled in when the
    query is compiled (a plain RawSQL would name the table and break inside a subquery)."""

    def __init__(self, template: str, params: list, column: str, output_field):
        super().__init__(output_field=output_field)
        self.template, self.params, self.column = template, params, column

    def as_sql(self, compiler, connection):
        alias = compiler.query.get_initial_alias()
        ref = f"{compiler.quote_name_unless_alias(alias)}.{connection.ops.quote_name(self.column)}"
        return self.template.format(ticket=ref), list(self.params)

    def get_group_by_cols(self):
        return [self]


def _vendor() -> str:
    return connection.vendor


def _match_sql(parsed: search_query.SearchQuery, column: str, probe: bool = False) -> _TicketSQL:
    if _vendor() == "postgresql":
        if probe:
            # Row by row through the primary key (a scalar subquery is never turned into a
            # join): for a very common word over a window of recent tickets, cheaper than
            # visiting every match the GIN index returns.
            return _TicketSQL("COALESCE((SELECT vector @@ to_tsquery('simple'::regconfig, %s) "
                              "FROM search_document WHERE ticket_id = {ticket}), false)",
                              [search_query.tsquery(parsed)], column, BooleanField())
        # ARRAY(...) runs once, from the GIN index: the planner cannot turn it into a
        # per-ticket probe of every ticket in scope (it misjudges the scope's size).
        return _TicketSQL("{ticket} = ANY(ARRAY(SELECT ticket_id FROM search_document "
                          "WHERE vector @@ to_tsquery('simple'::regconfig, %s)))",
                          [search_query.tsquery(parsed)], column, BooleanField())
    return _TicketSQL("{ticket} IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s)",
                      [search_query.fts5(parsed)], column, BooleanField())


def _rank_sql(parsed: search_query.SearchQuery, column: str) -> _TicketSQL:
    if _vendor() == "postgresql":
        # Normalisation 1: divided by 1 + log(length), so a long dossier does not win by size.
        return _TicketSQL("COALESCE((SELECT ts_rank(vector, to_tsquery('simple'::regconfig, %s), 1)::float8 "
                          "FROM search_document WHERE ticket_id = {ticket}), 0)",
                          [search_query.tsquery(parsed)], column, FloatField())
    # bm25 weights per FTS5 column (title, customer, body, work, ledger) as PostgreSQL's
    # default ts_rank weights for A, B, B, C, D.
    return _TicketSQL("COALESCE((SELECT -bm25(search_fts, 1.0, 0.4, 0.4, 0.2, 0.1) FROM search_fts "
                      "WHERE search_fts MATCH %s AND search_fts.rowid = {ticket}), 0)",
                      [search_query.fts5(parsed)], column, FloatField())


@dataclass(frozen=True)
class TextQuery:
    """A checked search text: what it is, and the conditions to run."""

    text: str
    parsed: search_query.SearchQuery
    phone: str = ""  # normalised (E.164) when the text is a phone number
    digits: str = ""  # 4+ digits: also inside the contact phone
    number: str = ""  # looks like a ticket number

    @property
    def empty(self) -> bool:
        return not (self.text and (self.parsed.terms or self.phone or self.digits or self.number))

    @property
    def ranked(self) -> bool:
        return not self.parsed.empty

    @property
    def words(self) -> list[str]:
        return self.parsed.words


def text_query(raw: str | None, *, field: str = "q") -> TextQuery:
    """Check and read a search text. Too long, NUL or control characters → a clear error
    naming the field; an empty text or one with no words → an empty query (no condition)."""
    text = (raw or "").strip()
    if "\x00" in text:
        raise ValidationFailed.on(field, _("Remove the NUL character."))
    if len(text) > search_query.MAX_LENGTH:
        raise ValidationFailed.on(field, _("Search for at most %(n)d characters.") % {"n": search_query.MAX_LENGTH})
    # Control and format characters (zero-width spaces, direction marks) are not words.
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text).strip()
    if not text:
        return TextQuery("", search_query.SearchQuery(()))
    folded = normalise(text)
    phone = digits = number = ""
    if set(folded) <= _PHONE_CHARS:
        digits = "".join(c for c in folded if c.isdigit())
        if len(digits) >= 7:
            try:
                phone = normalize_phone(folded, field=field)
            except ValidationFailed:
                phone = ""
        # A part of a number (4+ digits) is looked for inside the contact phone; a whole number
        # matches exactly, by index (a LIKE '%…%' reads every ticket in scope).
        if len(digits) < 4 or phone:
            digits = ""
    if _NUMBER.match(folded):
        number = folded
    tq = TextQuery(text, search_query.parse(text), phone=phone, digits=digits, number=number)
    if tq.empty:
        raise ValidationFailed.on(field, _("Nothing to search for: type a word, a ticket number or a phone number."))
    return tq


def text_condition(tq: TextQuery, *, column: str = "id", prefix: str = "", probe: bool = False,
                   phones: Q | None = None) -> Q:
    """The tickets (or rows with a ticket, `prefix` "ticket__" and `column` "ticket_id")
    the text finds: its words in the index, or the ticket number from its start, or — among
    the tickets `phones` selects, those whose numbers the viewer sees in full
    (tickets.facts.full_phones_q; None: none, so a search is no oracle for masked numbers) —
    the phone number exactly (contact phone or any of the customer's phones), or 4+ digits
    inside the contact phone."""
    if tq.empty:
        return Q()
    conditions = []
    if tq.ranked:
        conditions.append(Q(_match_sql(tq.parsed, column, probe)))
    if tq.number:
        conditions.append(Q(**{f"{prefix}number__startswith": tq.number.upper()}))  # the index
    by_phone = []
    if phones is not None and tq.digits:
        by_phone.append(Q(**{f"{prefix}contact_phone__contains": tq.digits}))
    if phones is not None and tq.phone:
        by_phone.append(Q(**{f"{prefix}contact_phone": tq.phone}) | Q(**{
            f"{prefix}customer_id__in": CustomerPhone.objects.filter(number=tq.phone).values("customer_id")}))
    if by_phone:
        either = by_phone[0]
        for condition in by_phone[1:]:
            either |= condition
        conditions.append(either & phones)
    if not conditions:
        return Q(pk__in=[])  # only a phone number, and the viewer sees no number in full
    match = conditions[0]
    for condition in conditions[1:]:
        match |= condition
    return match


def rank_expression(tq: TextQuery, *, column: str = "id") -> Expression:
    """Relevance, higher is better; 0 for a ticket found by number or phone only."""
    return _rank_sql(tq.parsed, column)


# -- how much to rank -----------------------------------------------------------------------------
# Ranking needs every match's document, and a word like 质量 is in ~8 % of all tickets: 80,000
# documents to read at 1M. So a word that common is ranked among the matches in the newest
# tickets registered, enough of them to hold about RANK_WINDOW matches overall; rarer
# words are ranked over every match. The share of documents holding a word comes from
# PostgreSQL's own statistics of the tsvector column (pg_stats, read at most every
# STATS_SECONDS per process); SQLite's FTS5 reads only ids from its index, so it always ranks
# every match (same matches either way; with a very common word PostgreSQL shows the best
# among the recent ones).

RANK_WINDOW = 300
EXACT_MAX = 2000  # estimated matching documents up to which every match is ranked
STATS_SECONDS = 600.0


@dataclass(frozen=True)
class _Stats:
    share: dict[str, float]
    unknown: float  # a word not in the list is rarer than the rarest one in it
    total: float
    at: float


_stats_cache: list[tuple[float, _Stats | None]] = []  # (read at, statistics or None: none yet)
_stats_lock = threading.Lock()


def _load_stats() -> _Stats | None:
    with connection.cursor() as c:
        c.execute("SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
                  "FROM pg_class c LEFT JOIN pg_stats s ON s.tablename = c.relname AND s.attname = 'vector' "
                  "WHERE c.relname = 'search_document'")
        row = c.fetchone()
    if not row or not row[0] or not row[1] or not row[2] or row[2] <= 0:
        return None
    words, freqs, total = row
    share = dict(zip(words, freqs[: len(words)], strict=True))
    return _Stats(share=share, unknown=min(freqs[len(words)], min(freqs[: len(words)])), total=float(total),
                  at=time.monotonic())


def _stats() -> _Stats | None:
    if _stats_cache and time.monotonic() - _stats_cache[0][0] < STATS_SECONDS:
        return _stats_cache[0][1]
    with _stats_lock:
        fresh = _load_stats()
        _stats_cache[:] = [(time.monotonic(), fresh)]
        return fresh


def _share(parsed: search_query.SearchQuery, stats: _Stats) -> float:
    def word(w: str) -> float:
        return stats.share.get(w, stats.unknown)

    shares = []
    for term in parsed.terms:
        s = word(term.word)
        if term.parts:
            whole = 1.0
            for part in term.parts:
                whole *= word(part)
            s = min(1.0, s + whole)
        shares.append(s)
    if parsed.any:
        return min(1.0, sum(shares))
    out = 1.0
    for s in shares:
        out *= s
    return out


def rank_window(tq: TextQuery) -> int | None:
    """How many of the newest tickets in scope to rank the matches of (None: all of them)."""
    if not tq.ranked or _vendor() != "postgresql":
        return None
    stats = _stats()
    if stats is None:
        return None
    share = _share(tq.parsed, stats)
    if share <= 0 or share * stats.total <= EXACT_MAX:
        return None
    return int(RANK_WINDOW / share)


# -- highlighting -----------------------------------------------------------------------------

SNIPPET_CHARS = 120


def highlight(text: str, words: list[str], *, length: int = SNIPPET_CHARS) -> str:
    """An HTML snippet of `text` around the first match, every matched word in <mark>, the
    rest escaped. Matching is on the normalised text (full width, case) and maps back to the
    original characters, so what is marked is what the reader typed or wrote."""
    text = " ".join((text or "").split())
    if not text:
        return ""
    # NFKC may change a character's length; map each normalised character to its origin.
    folded_chars, origin = [], []
    for i, ch in enumerate(text):
        for f in normalise(ch):
            folded_chars.append(f)
            origin.append(i)
    folded = "".join(folded_chars)
    spans: list[tuple[int, int]] = []
    for word in sorted({w for w in words if w}, key=len, reverse=True):
        start = folded.find(word)
        while start >= 0:
            a, b = origin[start], origin[start + len(word) - 1] + 1
            if not any(a < y and x < b for x, y in spans):
                spans.append((a, b))
            start = folded.find(word, start + len(word))
    spans.sort()
    first = spans[0][0] if spans else 0
    begin = max(0, min(first - length // 4, len(text) - length))
    end = min(len(text), begin + length)
    out, pos = [], begin
    for a, b in spans:
        if b <= begin or a >= end:
            continue
        a, b = max(a, begin), min(b, end)
        out.append(html.escape(text[pos:a]))
        out.append(f"<mark>{html.escape(text[a:b])}</mark>")
        pos = b
    out.append(html.escape(text[pos:end]))
    return ("…" if begin > 0 else "") + "".join(out) + ("…" if end < len(text) else "")
