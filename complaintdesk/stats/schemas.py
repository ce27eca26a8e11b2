"""The statistics API's shapes."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from complaintdesk.core.schema import InputSchema


class StatsIn(InputSchema):
    rows: str = Field("category", description="Dimension of the rows: kind, category, cause, responsible_department, "
                      "lead_department, org_unit, channel, source_tier, severity, state, satisfaction, period.")
    cols: str = Field("", description="Dimension of the columns (empty: one column of totals).")
    date_from: dt.date | None = Field(None, alias="from", description="First registration day (local), included.")
    date_to: dt.date | None = Field(None, alias="to", description="Last registration day (local), included.")
    period: str = Field("month", description="Buckets of the period dimension: day, week, month, report_month.")
    category_level: int = Field(1, description="Level of the category tree (1 = top).")
    org_unit_level: int = Field(0, description="Level of the org-unit tree (0 = one below the scope's unit).")
    org_unit: str = Field("", max_length=40, description="Narrow to this org unit's subtree (code).")
    measure: str = Field("registered", max_length=40, description="The count: registered, closed, closed_on_time, "
                         "called_back, satisfied, repeat, over_the_head, breached, …")


class HeaderOut(Schema):
    key: str
    label: str
    worklist_url: str | None = None


class RowOut(Schema):
    key: str
    label: str
    cells: list[int]
    cell_urls: list[str | None]
    total: int
    share: float | None
    previous: int | None
    change: float | None
    year_ago: int | None
    change_year: float | None
    worklist_url: str | None


class StatsOut(Schema):
    rows_dimension: str
    cols_dimension: str
    measure: str
    date_from: dt.date
    date_to: dt.date
    previous_from: dt.date
    previous_to: dt.date
    columns: list[HeaderOut]
    rows: list[RowOut]
    column_totals: list[int]
    total: int
    previous_total: int
    change: float | None
    year_ago_total: int
    change_year: float | None
    worklist_url: str | None
    calendar_missing: int = Field(description="Closed tickets whose working handling time could not be counted "
                                  "(a calendar year not entered).")
    as_of: dt.datetime | None = Field(description="When the roll-up was last brought up to date.")


class KpiOut(Schema):
    code: str
    label: str
    formula: str
    unit: str
    value: float | None
    numerator: float
    denominator: float
    note: str
    threshold: float | None
    direction: str
    crossed: bool


class KpisOut(Schema):
    date_from: dt.date
    date_to: dt.date
    org_unit: str
    kpis: list[KpiOut]
    rates: list[KpiOut]
    as_of: dt.datetime | None


class KpisIn(InputSchema):
    date_from: dt.date | None = Field(None, alias="from")
    date_to: dt.date | None = Field(None, alias="to")
    org_unit: str = Field("", max_length=40)


def stats_out(t) -> dict:
    return {
        "rows_dimension": t.query.rows, "cols_dimension": t.query.cols, "measure": t.measure,
        "date_from": t.date_from, "date_to": t.date_to, "previous_from": t.previous_from,
        "previous_to": t.previous_to,
        "columns": [{"key": c.key, "label": c.label, "worklist_url": u} for c, u in zip(t.cols, t.col_urls, strict=True)],
        "rows": [{"key": r.header.key, "label": r.header.label, "cells": r.cells, "cell_urls": r.links,
                  "total": r.total, "share": r.share, "previous": r.previous, "change": r.change,
                  "year_ago": r.year_ago, "change_year": r.change_year, "worklist_url": r.total_url}
                 for r in t.rows],
        "column_totals": t.col_totals, "total": t.total, "previous_total": t.previous_total, "change": t.change,
        "year_ago_total": t.year_ago_total, "change_year": t.change_year, "worklist_url": t.total_url,
        "calendar_missing": t.calendar_missing, "as_of": t.as_of,
    }


def kpi_out(f) -> dict:
    return {"code": f.code, "label": f.label, "formula": f.formula, "unit": f.unit, "value": f.value.value,
            "numerator": f.value.numerator, "denominator": f.value.denominator, "note": f.value.note,
            "threshold": f.threshold, "direction": f.direction, "crossed": f.crossed}
