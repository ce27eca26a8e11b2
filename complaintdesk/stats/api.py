"""GET /api/v1/stats and /api/v1/stats/kpis: parse, call the selector, shape. Read only."""

from __future__ import annotations

from django.utils import timezone
from ninja import Query, Router

from complaintdesk.stats import schemas as s
from complaintdesk.stats.links import table_links
from complaintdesk.stats.selectors import StatsQuery, check_period, kpi_board, stats_table

router = Router(tags=["statistics"])


@router.get("/stats", response=s.StatsOut, summary="Counts by two dimensions, with totals and comparisons")
def get_stats(request, q: Query[s.StatsIn]):
    """Tickets registered in the period (or another measure of the roll-up) by any two
    dimensions, in your scope: row and column totals, each row's share, the previous period
    of the same length and the same period a year earlier, and the worklist behind each cell.
    The figures are as of `as_of` (the roll-up is refreshed every minute)."""
    table = stats_table(viewer=request.user, query=StatsQuery(
        rows=q.rows, cols=q.cols, date_from=q.date_from, date_to=q.date_to, period=q.period,
        category_level=q.category_level, org_unit_level=q.org_unit_level, org_unit=q.org_unit, measure=q.measure))
    table_links(table, request.user)
    return s.stats_out(table)


@router.get("/stats/kpis", response=s.KpisOut, summary="The KPIs with their formulas and control thresholds")
def get_kpis(request, q: Query[s.KpisIn]):
    date_from, date_to = check_period(q.date_from, q.date_to, timezone.localdate())
    board = kpi_board(viewer=request.user, date_from=date_from, date_to=date_to, org_unit=q.org_unit)
    return {"date_from": board.date_from, "date_to": board.date_to,
            "org_unit": board.org_unit.code if board.org_unit else "",
            "kpis": [s.kpi_out(f) for f in board.figures], "rates": [s.kpi_out(f) for f in board.rates],
            "as_of": board.as_of}
