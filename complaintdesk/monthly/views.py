"""The report pages: the list with the form that generates a draft, a report's page with one
form per step the viewer may take, and its xlsx, PDF and charts. GET never changes anything;
every step is a POST carrying the version the page was built on."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from complaintdesk.core.errors import DomainError, NotFound
from complaintdesk.core.i18n import pick
from complaintdesk.monthly import selectors, workflow
from complaintdesk.monthly.services import lifecycle, outputs
from complaintdesk.monthly.vocabulary import DocAction, DocState, ReportKind
from complaintdesk.org.models import OrgUnit


def _error_text(exc: DomainError) -> str:
    if exc.fields:
        return " ".join(f"{_field_label(f.field)}: {f.reason}" for f in exc.fields)
    return str(exc.message)


def _field_label(name: str) -> str:
    labels = {"kind": _("Kind"), "org_unit": _("Org unit"), "month": _("Report month"), "note": _("Reason"),
              "version": _("Version"), **{k: str(v) for k, v in selectors.TEXT_SECTIONS}}
    return labels.get(name, name)


def _units(user) -> list[OrgUnit]:
    units = list(OrgUnit.objects.order_by("path"))
    if user.role == "admin" or user.is_superuser:
        return units
    mine = next((u for u in units if u.pk == user.org_unit_id), None)
    return [u for u in units if mine is not None and u.path.startswith(mine.path)]


@require_GET
@login_required
def report_list(request):
    user = request.user
    if not selectors.may_read_reports(user):
        raise PermissionDenied
    kind = request.GET.get("kind", "")
    if kind not in {"", *ReportKind}:
        kind = ""
    reports = selectors.report_list(user, kind=kind)
    may_write = user.role in workflow.AUTHOR_ROLES or user.is_superuser
    today = timezone.localtime().date()
    default_month = workflow.last_finished_period(ReportKind.MONTHLY, today).end.strftime("%Y-%m")
    top = min((u.depth for u in _units(user)), default=1) if may_write else 1
    return render(request, "monthly/list.html", {
        "nav_active": "monthly_reports", "reports": reports, "kind": kind, "may_write": may_write,
        "kinds": [(k.value, k.label) for k in ReportKind],
        "units": [(u.pk, "\u00a0\u00a0\u00a0" * (u.depth - top) + u.display_name) for u in _units(user)] if may_write else [],
        "default_month": default_month,
    })


def _period_from(kind: str, month_text: str) -> workflow.Period:
    try:
        year, month = (int(x) for x in month_text.split("-"))
        if not 1970 <= year <= 2199:
            raise ValueError
        end = dt.date(year, month, workflow.PERIOD_END_DAY)
    except ValueError:
        from complaintdesk.core.errors import ValidationFailed

        raise ValidationFailed.on("month", _("Enter the report month as YYYY-MM (the month in which it ends).")) from None
    return workflow.period_for(kind, end)


@require_POST
@login_required
def report_generate(request):
    user = request.user
    kind = request.POST.get("kind", "")
    try:
        unit = OrgUnit.objects.filter(pk=int(request.POST.get("org_unit") or 0)).first()
        if unit is None:
            raise NotFound(_("Choose an org unit from the list."))
        period = _period_from(kind, request.POST.get("month", "")[:7])
        report, created = lifecycle.report_generate(actor=user, kind=kind, org_unit=unit, period=period)
    except (DomainError, ValueError) as exc:
        messages.error(request, _error_text(exc) if isinstance(exc, DomainError) else _("Choose an org unit from the list."))
        return redirect("monthly:list")
    if not created:
        messages.info(request, _("This report exists already: here it is."))
    else:
        messages.success(request, _("The draft is generated. Write the analysis, then submit it for approval."))
    return redirect("monthly:detail", pk=report.pk)


def _load(request, pk: int):
    try:
        return selectors.report_get(request.user, pk)
    except NotFound:
        raise Http404 from None


def _meta(report) -> list[tuple[str, str]]:
    f = report.figures
    rows = [(_("Org unit"), pick(f["unit"]["name"], f["unit"]["name_en"]) + " " + _("(and everything under it)")),
            (_("Period"), selectors.period_label(report)),
            (_("Due by"), report.due_on.isoformat()),
            (_("State"), str(DocState(report.state).label)),
            (_("Owner"), report.owner.display_name or report.owner.username),
            (_("Figures as of"), timezone.localtime(report.figures_as_of).strftime("%Y-%m-%d %H:%M"))]
    rollup = f.get("rollup_as_of")
    rows.append((_("Statistics as of"), timezone.localtime(dt.datetime.fromisoformat(rollup)).strftime(
        "%Y-%m-%d %H:%M") if rollup else _("not yet built: the figures are empty until the statistics job runs")))
    if report.approved_by_id:
        rows.append((_("Approved by"), f"{report.approved_by.display_name or report.approved_by.username} "
                                       f"{timezone.localtime(report.approved_at):%Y-%m-%d %H:%M}"))
    if report.published_at:
        rows.append((_("Published"), f"{timezone.localtime(report.published_at):%Y-%m-%d %H:%M}"))
    return rows


def _title(report) -> str:
    f = report.figures
    return "{kind} · {unit} · {period}".format(
        kind=ReportKind(report.kind).label,
        unit=pick(f["unit"]["name"], f["unit"]["name_en"]),
        period=selectors.period_label(report),
    )


def _texts(report) -> list[tuple[str, str]]:
    sections = selectors.TEXT_SECTIONS if report.kind == ReportKind.HALF_YEAR else [
        s for s in selectors.TEXT_SECTIONS if s[0] in ("analysis", "suggestions")]
    return [(str(label), getattr(report, name)) for name, label in sections]


@require_GET
@login_required
def report_detail(request, pk: int):
    report = _load(request, pk)
    user = request.user
    actor = workflow.Actor(role=user.role, is_owner=user.pk == report.owner_id, is_superuser=user.is_superuser)
    actions = set(workflow.allowed_actions(report.state, actor)) if user.role in workflow.DRAFT_READERS or \
        user.is_superuser else set()
    tables = selectors.report_tables(report)
    rows = []
    for t in tables:
        kinds = outputs.column_kinds(t)
        rows.append({"table": t, "rows": [
            {"cells": [{"text": outputs._shown(v, k), "kind": k} for v, k in zip(row, rk, strict=True)],
             "ticket_id": t.links[i] if i < len(t.links) else None}
            for i, (row, rk) in enumerate(zip(t.rows, kinds, strict=True))]})
    sections = [(name, label, getattr(report, name)) for name, label in selectors.TEXT_SECTIONS
                if report.kind == ReportKind.HALF_YEAR or name in ("analysis", "suggestions")]
    return render(request, "monthly/detail.html", {
        "nav_active": "monthly_reports", "report": report, "title": _title(report), "meta": _meta(report),
        "notes": selectors.report_notes(report.figures), "tables": rows, "sections": sections,
        "steps": selectors.report_steps(report), "actions": {str(a) for a in actions},
        "A": {a.name: str(a) for a in DocAction}, "text_limit": lifecycle.TEXT_LIMIT,
    })


_STEPS = {
    DocAction.REFRESH: lambda request, **kw: lifecycle.report_refresh(**kw),
    DocAction.EDIT: lambda request, **kw: lifecycle.report_edit(
        texts={n: request.POST.get(n, "") for n in lifecycle.TEXT_FIELDS}, **kw),
    DocAction.SUBMIT: lambda request, **kw: lifecycle.report_submit(**kw),
    DocAction.APPROVE: lambda request, **kw: lifecycle.report_approve(**kw),
    DocAction.RETURN: lambda request, **kw: lifecycle.report_return(note=request.POST.get("note", ""), **kw),
    DocAction.PUBLISH: lambda request, **kw: lifecycle.report_publish(**kw),
}
_DONE = {
    DocAction.REFRESH: _("The figures are gathered again."),
    DocAction.EDIT: _("Saved."),
    DocAction.SUBMIT: _("Submitted: a leader is told."),
    DocAction.APPROVE: _("Approved: the owner may publish it."),
    DocAction.RETURN: _("Returned to the owner."),
    DocAction.PUBLISH: _("Published: the report is frozen."),
}


@require_POST
@login_required
def report_step(request, pk: int, action: str):
    try:
        step = _STEPS[DocAction(action)]
    except (ValueError, KeyError):
        raise Http404 from None
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        messages.error(request, _("The form is incomplete: reload the page."))
        return redirect("monthly:detail", pk=pk)
    try:
        step(request, actor=request.user, report_id=pk, version=version)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, str(_DONE[DocAction(action)]))
    return redirect("monthly:detail", pk=pk)


def _filename(report, ext: str) -> str:
    return f"report-{report.kind}-{report.figures['unit']['code']}-{report.period_end:%Y-%m}.{ext}"


@require_GET
@login_required
def report_xlsx(request, pk: int):
    report = _load(request, pk)
    out = io.BytesIO()
    outputs.report_xlsx(title=_title(report), meta=_meta(report), notes=selectors.report_notes(report.figures),
                        texts=_texts(report), tables=selectors.report_tables(report), out=out)
    response = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, "xlsx")}"'
    return response


def _charts(report, font=None) -> list[tuple[str, object]]:
    f = report.figures
    tables = {t.key: t for t in selectors.report_tables(report)}
    units = [r for r in tables["units"].rows]
    return [
        (_("Tickets registered per day"), outputs.trend_chart(f["trend"], font=font)),
        (_("Top categories"), outputs.bar_chart([r[0] for r in tables["categories"].rows],
                                                [r[1] for r in tables["categories"].rows], font=font)),
        (_("Overdue by org unit"), outputs.bar_chart([r[0] for r in units], [r[4] for r in units], font=font)),
    ]


@require_GET
@login_required
def report_pdf(request, pk: int):
    report = _load(request, pk)
    try:
        font = outputs._register_font(outputs.cjk_font_path())
        pdf = outputs.report_pdf(
            title=_title(report), meta=_meta(report), notes=selectors.report_notes(report.figures),
            texts=_texts(report), tables=selectors.report_tables(report), charts=_charts(report, font),
            footer=_("complaintdesk · %(title)s · printed %(at)s") % {"title": _title(report), "at": outputs.printed_at()})
    except outputs.FontMissing as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(report, "pdf")}"'
    return response


CHARTS = ("trend", "categories", "units")


@require_GET
@login_required
def report_chart(request, pk: int, name: str):
    report = _load(request, pk)
    if name not in CHARTS:
        raise Http404
    drawing = _charts(report)[CHARTS.index(name)][1]
    response = HttpResponse(outputs.chart_svg(drawing), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=60"
    return response
