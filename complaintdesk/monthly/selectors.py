"""Reads of reports, scoped to the viewer, and the tables a report shows (the page, the xlsx
and the PDF render the same tables, built here from the stored figures only: never from the
tickets, so a published report reads the same whatever happens to them later)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaintdesk.accounts.roles import Role
from complaintdesk.core.errors import NotFound
from complaintdesk.core.i18n import pick
from complaintdesk.monthly import workflow
from complaintdesk.monthly.models import Report, ReportStep
from complaintdesk.monthly.vocabulary import DocState
from complaintdesk.tickets.vocabulary import (
    Cause,
    Channel,
    Kind,
    Satisfaction,
    Severity,
    SourceTier,
    State,
)

PAGE = 50


def may_read_reports(viewer) -> bool:
    return bool(getattr(viewer, "is_authenticated", False)) and (
        viewer.role in workflow.PUBLISHED_READERS or viewer.is_superuser)


def visible_reports(viewer):
    """Reports of the viewer's org unit subtree; drafts only for authors and approvers."""
    qs = Report.objects.select_related("org_unit", "owner")
    if not may_read_reports(viewer):
        return qs.none()
    if not (viewer.role == Role.ADMIN or viewer.is_superuser):
        if viewer.org_unit_id is None:
            return qs.none()
        qs = qs.filter(org_unit__path__startswith=viewer.org_unit.path)
        if viewer.role not in workflow.DRAFT_READERS:
            qs = qs.filter(state=DocState.PUBLISHED)
    return qs


def report_list(viewer, *, kind: str = "", before: int | None = None) -> list[Report]:
    """A page of reports, newest period first (keyset on id within the period order is not
    needed: a unit writes ~14 reports a year; the page is cut at PAGE)."""
    qs = visible_reports(viewer)
    if kind:
        qs = qs.filter(kind=kind)
    if before:
        qs = qs.filter(Q(id__lt=before))
    return list(qs.order_by("-period_end", "-id")[:PAGE])


def report_get(viewer, pk: int) -> Report:
    report = visible_reports(viewer).filter(pk=pk).first()
    if report is None:
        raise NotFound(_("No such report."))
    return report


def report_steps(report: Report) -> list[ReportStep]:
    return list(report.steps.select_related("actor").order_by("id"))


# --- the tables -----------------------------------------------------------------------------------

@dataclass
class Column:
    label: str
    kind: str = "int"  # text | int | pct (a fraction 0..1, shown and exported as a percentage) | date


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    links: list[int | None] = field(default_factory=list)  # the ticket behind each row, if any
    note: str = ""
    row_kinds: list[str] | None = None  # for a column of kind "num": each row's own kind (int | pct)


def _label(enum, code: str) -> str:
    try:
        return str(enum(code).label)
    except ValueError:
        return code or "–"


def _name(d: dict | None) -> str:
    if not d:
        return "–"
    return pick(d.get("name", ""), d.get("name_en", "")) or d.get("code", "")


def _enum_table(key, title, head, enum, rows) -> Table:
    return Table(key, title, [Column(head, "text"), Column(_("Tickets")), Column(_("Share"), "pct")],
                 [[_label(enum, r["code"]), r["n"], r["share"]] for r in rows])


def _cases_table(key, title, cases: list[dict], total: int) -> Table:
    t = Table(key, title, [Column(_("Number"), "text"), Column(_("Title"), "text"), Column(_("Registered"), "date"),
                           Column(_("Org unit"), "text"), Column(_("Category"), "text"),
                           Column(_("Department"), "text"), Column(_("State"), "text")])
    for c in cases:
        t.rows.append([c["number"], c["title"], c["created_at"][:10], _name(c["unit"]), _name(c["category"]),
                       _name(c["department"]), _label(State, c["state"])])
        t.links.append(c["id"])
    if total > len(cases):
        t.note = _("%(shown)s of %(total)s cases are listed; the worklists have all of them.") % {
            "shown": len(cases), "total": total}
    return t


def summary_rows(f: dict) -> list[tuple[str, object, str, str]]:
    """(figure, value, kind, how it is counted) — the formula is shown next to every figure;
    the rates are the KPI library's (stats/kpis.py), with their numerators and denominators."""
    from complaintdesk.stats.kpis import KPI_BY_CODE

    t, r = f["totals"], f["rates"]
    rows = [
        (_("Tickets registered"), t["registered"], "int", _("registered in the period, every kind")),
        (_("Change on the period before"), r["change_previous"], "pct",
         _("(this period − the period before) ÷ the period before (%(n)s)") % {"n": t["previous"]}),
        (_("Change on the year before"), r["change_year_ago"], "pct",
         _("(this period − the same period a year earlier) ÷ that period (%(n)s)") % {"n": t["year_ago"]}),
        (_("Tickets closed"), t["closed"], "int", _("of the tickets registered in the period, closed since")),
    ]
    for k in f.get("kpis", []):
        kpi = KPI_BY_CODE.get(k["code"])
        if kpi is None:
            continue
        parts = f"{k['numerator']:g} ÷ {k['denominator']:g}"
        how = f"{kpi.formula} ({parts})" + (f" — {k['note']}" if k["note"] else "")
        rows.append((str(kpi.label), k["value"], "pct" if kpi.unit == "rate" else "hours", how))
    rows.append((_("Major cases"), t["hard"], "int", _("major cases registered in the period")))
    return rows


def report_notes(f: dict) -> list[str]:
    """What the figures cannot say, said plainly at the top of every output."""
    notes = []
    if not f["totals"]["registered"] and not f["totals"]["closed"]:
        notes.append(_("No tickets were registered or closed in this period: every figure below is zero."))
    years = f["calendar"]["missing_years"]
    if years:
        notes.append(_(
            "The working calendar of %(years)s is missing (not yet published, and not entered by an "
            "administrator): deadlines falling in it could not be computed, so on-time and overdue figures "
            "of this period are incomplete.") % {"years": ", ".join(str(y) for y in years)})
    n = f["calendar"]["tickets_calendar_missing"]
    if n:
        notes.append(_("%(n)s closed ticket(s) of the period are left out of the handling time: it crosses a "
                       "year with no working calendar.") % {"n": n})
    return notes


def report_tables(report_or_figures) -> list[Table]:
    f = report_or_figures.figures if isinstance(report_or_figures, Report) else report_or_figures
    tables = [Table("summary", _("Key figures"),
                    [Column(_("Figure"), "text"), Column(_("Value"), "num"), Column(_("How it is counted"), "text")],
                    [[label, value, how] for label, value, _kind, how in summary_rows(f)])]
    # The summary's values mix counts and rates: each row says which (the page formats it).
    tables[0].row_kinds = [kind for _l, _v, kind, _h in summary_rows(f)]
    tables.append(Table("categories", _("Top categories"),
                        [Column(_("Category"), "text"), Column(_("Tickets")), Column(_("Share"), "pct")],
                        [[_name(c), c["n"], c["share"]] for c in f["top_categories"]]))
    tables.append(Table("category_groups", _("By category group"),
                        [Column(_("Category group"), "text"), Column(_("Tickets")), Column(_("Share"), "pct")],
                        [[_name(c), c["n"], c["share"]] for c in f["category_groups"]]))
    tables.append(_enum_table("causes", _("Causes"), _("Cause"), Cause, f["by_cause"]))
    tables.append(_enum_table("kinds", _("By kind"), _("Kind"), Kind, f["by_kind"]))
    tables.append(_enum_table("channels", _("By channel"), _("Channel"), Channel, f["by_channel"]))
    tables.append(_enum_table("source_tiers", _("By source"), _("Source"), SourceTier, f["by_source_tier"]))
    tables.append(_enum_table("satisfaction", _("Satisfaction (callbacks)"), _("Satisfaction"), Satisfaction,
                              f["by_satisfaction"]))
    worst = set(f["worst_units"])
    tables.append(Table("units", _("By org unit"), [
        Column(_("Org unit"), "text"), Column(_("Registered")), Column(_("Closed")), Column(_("Closed on time")),
        Column(_("Overdue")), Column(_("Overdue rate"), "pct"), Column(_("Repeat")), Column(_("Repeat rate"), "pct"),
        Column(_("Over the head")), Column(_("Among the worst"), "text")],
        [[_name(u) + (" " + _("(registered on the unit itself)") if u["own"] else ""), u["registered"], u["closed"],
          u["on_time"], u["overdue"], u["overdue_rate"], u["repeat"], u["repeat_rate"], u["over_the_head"],
          (str(f["worst_units"].index(u["code"]) + 1) if u["code"] in worst and not u["own"] else "")]
         for u in f["units"]]))
    tables.append(Table("departments", _("Responsible departments"),
                        [Column(_("Department"), "text"), Column(_("Tickets")), Column(_("Share"), "pct")],
                        [[_name(d), d["n"], d["share"]] for d in f["departments"]]))
    t = f["totals"]
    tables.append(_cases_table("overdue_cases", _("Overdue cases"), f["overdue_cases"], t["overdue"]))
    tables.append(_cases_table("repeat_cases", _("Repeat complaints"), f["repeat_cases"], t["repeat"]))
    tables.append(_cases_table("hard_cases", _("Major cases"), f["hard_cases"], t["hard"]))
    if f["months"]:
        tables.append(Table("months", _("By report month"), [Column(_("Report month"), "text"), Column(_("Tickets"))],
                            [[m, n] for m, n in f["months"]]))
    tables.append(Table("trend", _("Tickets registered per day"), [Column(_("Day"), "date"), Column(_("Tickets"))],
                        [[d, n] for d, n in f["trend"]]))
    return tables


def severity_label(code: str) -> str:
    return _label(Severity, code)


def period_label(report: Report) -> str:
    return f"{report.period_start:%Y-%m-%d} – {report.period_end:%Y-%m-%d}"


def as_of(report: Report) -> dt.datetime:
    return report.figures_as_of


TEXT_SECTIONS = [
    ("analysis", gettext_lazy("Analysis")),
    ("hot_issues", gettext_lazy("Hot issues")),
    ("difficulties", gettext_lazy("Hard cases and their difficulties")),
    ("suggestions", gettext_lazy("Suggestions")),
]
