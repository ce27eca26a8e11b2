"""The dashboard page: parse the filters, call the selector, render. GET only: nothing here
changes state."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from complaintdesk.core.errors import ValidationFailed
from complaintdesk.reports.selectors import (
    DashboardFilters,
    dashboard_allowed,
    dashboard_get_cached,
)

CHART_COLOURS = ["#0b5cad", "#1d6b32", "#8a5300", "#a61b1b", "#5b3f9e", "#00727a", "#6b7480",
                 "#b3418f", "#3d6e00", "#c25400"]


class DashboardForm(forms.Form):
    # The org unit is checked by the selector against the viewer's scope; the template draws
    # the picker from the units the selector read (no second query).
    org_unit = forms.CharField(label=_("Org unit (and everything under it)"), required=False, max_length=40)
    date_from = forms.DateField(label=_("From"), required=False)
    date_to = forms.DateField(label=_("To"), required=False)


def _unit_choices(units) -> list[tuple[str, str]]:
    top = min((u.depth for u in units), default=1)
    return [(u.code, "\u00a0\u00a0\u00a0" * (u.depth - top) + u.display_name) for u in units]


def _worklist_base(key: str) -> str | None:
    """The worklist behind a figure, if the workbench has it (it is built separately)."""
    try:
        return reverse("workbench:worklist", kwargs={"key": key})
    except NoReverseMatch:
        return None


def _url(base: str | None, params: list[tuple[str, str]]) -> str | None:
    if base is None:
        return None
    params = [(k, v) for k, v in params if v]
    return f"{base}?{urlencode(params)}" if params else base


def _add_links(board) -> dict:
    """Each figure links to the worklist that lists the same tickets: 'all' filtered by
    state, channel, kind or registration date; 'at_risk' and 'overdue'. Department rows are
    not linked: the worklists' department filter also counts assisting departments."""
    unit = [("org_unit", board.org_unit.code)] if board.org_unit else []
    every, at_risk, overdue = (_worklist_base(k) for k in ("all", "at_risk", "overdue"))
    today = board.today.isoformat()
    on_today = [("date_from", today), ("date_to", today)]
    for row in board.intake_today_by_channel:
        row.url = _url(every, [("channel", row.value), *on_today, *unit])
    for row in board.intake_today_by_kind:
        row.url = _url(every, [("kind", row.value), *on_today, *unit])
    for row in board.open_by_state:
        row.url = _url(every, [("state", row.value), *unit])
    for row in board.trend:
        row.url = _url(every, [("date_from", row.value), ("date_to", row.value), *unit])
    return {
        "today": _url(every, [*on_today, *unit]),
        "open": _url(every, [*(("state", r.value) for r in board.open_by_state), *unit]),
        "at_risk": _url(at_risk, unit),
        "overdue": _url(overdue, unit),
    }


def _chart_data(board) -> dict:
    def bars(rows):
        return {"labels": [r.label for r in rows], "values": [r.count for r in rows]}

    return {
        "colours": CHART_COLOURS,
        "trend": {"labels": [r.label[5:] for r in board.trend], "values": [r.count for r in board.trend],
                  "name": str(_("Tickets registered"))},
        "channels": bars([r for r in board.intake_today_by_channel if r.count]),
        "states": bars(board.open_by_state),
        "departments": {
            "labels": [r.label for r in board.open_by_department],
            "series": [
                {"name": str(_("On time")), "values": [r.open - r.at_risk - r.overdue for r in board.open_by_department],
                 "colour": "#1d6b32"},
                {"name": str(_("At risk")), "values": [r.at_risk for r in board.open_by_department],
                 "colour": "#c27c00"},
                {"name": str(_("Overdue")), "values": [r.overdue for r in board.open_by_department],
                 "colour": "#a61b1b"},
            ],
        },
        "satisfaction": {"labels": [r.label for r in board.satisfaction],
                         "values": [r.count for r in board.satisfaction],
                         "colours": ["#1d6b32", "#6b7480", "#a61b1b"]},
    }


@require_GET
@login_required
def dashboard(request):
    user = request.user
    if not dashboard_allowed(user):
        raise PermissionDenied
    form = DashboardForm(request.GET or None)
    filters = DashboardFilters()
    if form.is_bound and form.is_valid():
        filters = DashboardFilters(org_unit=form.cleaned_data["org_unit"], date_from=form.cleaned_data["date_from"],
                                   date_to=form.cleaned_data["date_to"])
    try:
        board = dashboard_get_cached(viewer=user, filters=filters)
    except ValidationFailed as exc:
        # Said next to the field; the page shows the default view meanwhile, the values typed
        # stay in the form.
        for err in exc.fields:
            form.add_error(err.field if err.field in form.fields else None, err.reason)
        board = dashboard_get_cached(viewer=user, filters=DashboardFilters())
    unit_value = form["org_unit"].value() or ""
    return render(request, "reports/dashboard.html", {
        "nav_active": "dashboard",
        "form": form,
        "unit_value": unit_value,
        "unit_choices": _unit_choices(board.org_units),
        "board": board,
        "links": _add_links(board),
        "chart_data": _chart_data(board),
        "satisfied_share": next((r.share for r in board.satisfaction if r.value == "satisfied"), None),
    })
