"""The search page's read: ranked tickets in the viewer's scope, each with highlighted text.

A selector in all but name: it reads through tickets/selectors.py, which reaches the deadline
services, so import-linter would count a module named `selectors` here as importing this
app's services (search/services/index.py) — which it does not use.

Built on `ticket_list` (the viewer's scope, every filter, keyset pages on the rank): one
query for the page plus one per small table shown, whatever the page size.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from complaintdesk.search.conditions import highlight, text_query
from complaintdesk.search.segment import normalise
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.selectors import Page, TicketFilters, ticket_list

PAGE_SIZE = 20
# Where a snippet may come from, in this order: the first that holds a matched word.
SNIPPET_FIELDS = ("description", "handling_notes", "reply_text", "plan", "product")
# Not shown on the page: neither read nor decoded.
DEFERRED = ("elements", "responsible_person")


@dataclass
class Hit:
    ticket: Ticket
    title_html: SafeString
    snippet_html: SafeString
    found_in: str  # the field the snippet is from ("" when only the title or number matched)
    url: str = ""


@dataclass
class SearchResults:
    hits: list[Hit]
    page: Page
    words: list[str]


def _hit(ticket: Ticket, words: list[str]) -> Hit:
    found_in, snippet = "", ""
    for name in SNIPPET_FIELDS:
        text = getattr(ticket, name) or ""
        folded = normalise(text)
        if text and any(w in folded for w in words):
            found_in, snippet = name, highlight(text, words)
            break
    if not snippet:
        snippet = highlight(ticket.description, words)
    # highlight() escapes every character it does not wrap in <mark>
    return Hit(ticket=ticket, title_html=mark_safe(highlight(ticket.title, words, length=200)),  # noqa: S308
               snippet_html=mark_safe(snippet), found_in=found_in)  # noqa: S308


def search_tickets(*, viewer, filters: TicketFilters, cursor: str = "", limit: int = PAGE_SIZE) -> SearchResults:
    """The best matches first (or by the number / phone), in the viewer's scope."""
    words = text_query(filters.q).words
    page = ticket_list(viewer=viewer, filters=filters, cursor=cursor, limit=limit,
                       prefetch=("category",), related=(), defer=DEFERRED)
    return SearchResults(hits=[_hit(t, words) for t in page.items], page=page, words=words)
