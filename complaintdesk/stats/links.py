"""The drill-down: every cell of a statistics table links to the worklist "all" with the
filters that select the same tickets (registration dates, org unit, the row's and the
column's values). Only counts the worklist can list exactly are linked: tickets registered,
and tickets closed (the states closed and archived)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from complaintdesk.accounts.roles import DEPARTMENT_ROLES
from complaintdesk.tickets.vocabulary import State

LINKED_MEASURES = {"registered": [], "closed": [("state", State.CLOSED.value), ("state", State.ARCHIVED.value)]}


def worklist_base() -> str | None:
    try:
        return reverse("workbench:worklist", kwargs={"key": "all"})
    except NoReverseMatch:
        return None


def table_links(table, viewer) -> None:
    """Sets `links` (one URL or None per cell), `total_url` on each row, `col_urls` and
    `total_url` on the table."""
    base = worklist_base()
    extra = LINKED_MEASURES.get(table.measure)
    if base is None or extra is None:
        for row in table.rows:
            row.links, row.total_url = [None] * len(row.cells), None
            row.pairs = list(zip(row.cells, row.links, strict=True))
        table.col_urls, table.total_url = [None] * len(table.cols), None
        table.col_pairs = list(zip(table.col_totals, table.col_urls, strict=True))
        return
    common = {"date_from": table.date_from.isoformat(), "date_to": table.date_to.isoformat()}
    if table.org_unit is not None:
        common["org_unit"] = table.org_unit.code
    if viewer.role in DEPARTMENT_ROLES and getattr(viewer, "department", None) is not None:
        # The roll-up scopes a department by the tickets it leads now; the worklist the same.
        common["lead_department"] = viewer.department.code

    def url(*filters: dict) -> str | None:
        params = dict(common)
        for f in filters:
            if f is None:
                return None
            params.update(f)
        return f"{base}?{urlencode(list(params.items()) + extra)}"

    def filt(header):
        # A value with no filter of its own (an unknown code) cannot be listed exactly.
        if header.key and not header.filters:
            return None
        return header.filters

    single = len(table.cols) == 1 and not table.cols[0].key and not table.cols[0].filters
    for row in table.rows:
        rf = filt(row.header)
        row.total_url = url(rf) if rf is not None else None
        row.links = [row.total_url if single else (url(rf, filt(c)) if rf is not None else None)
                     for c in table.cols]
        row.pairs = list(zip(row.cells, row.links, strict=True))
    table.col_urls = [None if single else url(filt(c)) for c in table.cols]
    table.col_pairs = list(zip(table.col_totals, table.col_urls, strict=True))
    table.total_url = url()
