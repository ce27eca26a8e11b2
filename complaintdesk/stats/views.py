"""The statistics page (/statistics/): parse the form, call the selectors, render. GET only."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from complaintdesk.core.errors import ValidationFailed
from complaintdesk.stats.kpis import KPI_BY_CODE
from complaintdesk.stats.links import table_links
from complaintdesk.stats.selectors import StatsQuery, kpi_board, stats_allowed, stats_table
from complaintdesk.stats.vocabulary import MEASURES, Dimension, Period

CHART_COLOURS = ["#0b5cad", "#1d6b32", "#8a5300", "#a61b1b", "#5b3f9e", "#00727a", "#6b7480",
                 "#b3418f", "#3d6e00", "#c25400"]
LEVELS = [(0, _("One level below")), (1, "1"), (2, "2"), (3, "3"), (4, "4")]


def _measure_label(name: str) -> str:
    return {
        "registered": _("Registered"), "closed": _("Closed"), "closed_on_time": _("Closed on time"),
        "acknowledged": _("Acknowledged"), "acknowledged_in_time": _("Acknowledged in time"),
        "called_back": _("Called back"), "satisfied": _("Satisfied"), "dissatisfied": _("Dissatisfied"),
        "on_spot": _("Resolved on the spot"), "repeat": _("Repeat complaints"),
        "over_the_head": _("Over-the-head complaints"), "breached": _("With a missed deadline"),
        "audit_rejected": _("Rejected in audit"), "redispatched": _("Re-dispatched"), "escalated": _("Escalated"),
        "reopened": _("Reopened"), "handled": _("Closed with a known handling time"),
        "handling_minutes": _("Handling time (working minutes)"),
        "calendar_missing": _("Closed, handling time unknown (calendar missing)"),
    }[name]


class StatsForm(forms.Form):
    rows = forms.ChoiceField(label=_("Rows"), choices=Dimension.choices(), required=False)
    cols = forms.ChoiceField(label=_("Columns"), choices=[("", _("None (totals only)")), *Dimension.choices()],
                             required=False)
    date_from = forms.DateField(label=_("From"), required=False)
    date_to = forms.DateField(label=_("To"), required=False)
    period = forms.ChoiceField(label=_("Period"), choices=Period.choices(), required=False)
    category_level = forms.TypedChoiceField(label=_("Category level"), coerce=int, required=False, empty_value=1,
                                            choices=LEVELS[1:])
    org_unit_level = forms.TypedChoiceField(label=_("Org unit level"), coerce=int, required=False, empty_value=0,
                                            choices=LEVELS)
    org_unit = forms.CharField(label=_("Org unit (and everything under it)"), required=False, max_length=40)
    measure = forms.ChoiceField(label=_("Count"), required=False,
                                choices=[(m, "") for m in MEASURES])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = [(m, _measure_label(m)) for m in MEASURES]

    def clean(self):
        data = super().clean()
        for name in ("org_unit",):
            if "\x00" in (data.get(name) or ""):
                self.add_error(name, _("Remove the NUL character."))
        return data


def _query(data: dict) -> StatsQuery:
    return StatsQuery(rows=data.get("rows") or "category", cols=data.get("cols") or "",
                      date_from=data.get("date_from"), date_to=data.get("date_to"),
                      period=data.get("period") or "month", category_level=data.get("category_level") or 1,
                      org_unit_level=data.get("org_unit_level") or 0, org_unit=data.get("org_unit") or "",
                      measure=data.get("measure") or "registered")


def _unit_choices(units) -> list[tuple[str, str]]:
    top = min((u.depth for u in units), default=1)
    return [(u.code, "\u00a0\u00a0\u00a0" * (u.depth - top) + u.display_name) for u in units]


def _chart(table) -> dict:
    # Rows × columns as stacked bars (a line for periods); the table stays the truth.
    period_rows = table.query.rows == Dimension.PERIOD
    return {
        "type": "line" if period_rows else "bar",
        "labels": [r.header.label for r in table.rows],
        "series": [{"name": c.label, "values": [r.cells[i] for r in table.rows],
                    "colour": CHART_COLOURS[i % len(CHART_COLOURS)]} for i, c in enumerate(table.cols)],
    }


@require_GET
@login_required
def statistics(request):
    user = request.user
    if not stats_allowed(user):
        raise PermissionDenied
    form = StatsForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    query = _query(data)
    try:
        table = stats_table(viewer=user, query=query)
    except ValidationFailed as exc:
        aliases = {"from": "date_from", "to": "date_to"}
        for err in exc.fields:
            field = aliases.get(err.field, err.field)
            form.add_error(field if field in form.fields else None, err.reason)
        query = StatsQuery()
        table = stats_table(viewer=user, query=query)
    table_links(table, user)
    board = kpi_board(viewer=user, date_from=table.date_from, date_to=table.date_to,
                      org_unit=table.org_unit.code if table.org_unit else "")
    for f in board.figures:
        f.is_rate = KPI_BY_CODE[f.code].unit == "rate"
    return render(request, "stats/statistics.html", {
        "nav_active": "statistics",
        "form": form,
        "table": table,
        "board": board,
        "measure_label": _measure_label(table.measure),
        "rows_label": Dimension(query.rows).label,
        "cols_label": Dimension(query.cols).label if query.cols else "",
        "unit_choices": _unit_choices(table.org_units),
        "unit_value": form["org_unit"].value() or "",
        "chart_data": _chart(table),
        "today": timezone.localdate(),
    })


