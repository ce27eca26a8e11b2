"""Bulletin pages: the list with the form that drafts one, a bulletin's page with its lines,
the tickets behind each line and one form per step the viewer may take. GET changes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from complaintdesk.bulletins import selectors
from complaintdesk.bulletins.services import bulletins as services
from complaintdesk.bulletins.vocabulary import LineKind
from complaintdesk.core.errors import DomainError, NotFound, ValidationFailed
from complaintdesk.monthly import workflow
from complaintdesk.monthly.views import _period_from, _units
from complaintdesk.monthly.vocabulary import DocAction, ReportKind
from complaintdesk.org.models import OrgUnit


def _error_text(exc: DomainError) -> str:
    labels = {"org_unit": _("Org unit"), "month": _("Report month"), "title": _("Title"), "intro": _("Introduction"),
              "comment": _("Comment"), "numbers": _("Ticket numbers"), "kind": _("Kind"), "note": _("Reason"),
              "lines": _("Lines")}
    if exc.fields:
        return " ".join(f"{labels.get(f.field, f.field)}: {f.reason}" for f in exc.fields)
    return str(exc.message)


@require_GET
@login_required
def bulletin_list(request):
    user = request.user
    if not selectors.may_read_bulletins(user):
        raise PermissionDenied
    may_write = user.role in workflow.AUTHOR_ROLES or user.is_superuser
    units = _units(user) if may_write else []
    top = min((u.depth for u in units), default=1)
    today = timezone.localtime().date()
    return render(request, "bulletins/list.html", {
        "nav_active": "bulletins", "bulletins": selectors.bulletin_list(user), "may_write": may_write,
        "units": [(u.pk, "\u00a0\u00a0\u00a0" * (u.depth - top) + u.display_name) for u in units],
        "default_month": workflow.last_finished_period(ReportKind.MONTHLY, today).end.strftime("%Y-%m"),
    })


@require_POST
@login_required
def bulletin_new(request):
    try:
        unit = OrgUnit.objects.filter(pk=int(request.POST.get("org_unit") or 0)).first()
        if unit is None:
            raise ValidationFailed.on("org_unit", _("Choose an org unit from the list."))
        period = _period_from(ReportKind.MONTHLY, request.POST.get("month", "")[:7])
        bulletin = services.bulletin_draft(actor=request.user, org_unit=unit, period=period)
    except ValueError:
        messages.error(request, _("Org unit") + ": " + _("Choose an org unit from the list."))
        return redirect("bulletins:list")
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return redirect("bulletins:list")
    messages.success(request, _("The bulletin is drafted from the period's records. Check each line, then submit it."))
    return redirect("bulletins:detail", pk=bulletin.pk)


def _load(request, pk: int):
    try:
        return selectors.bulletin_get(request.user, pk)
    except NotFound:
        raise Http404 from None


@require_GET
@login_required
def bulletin_detail(request, pk: int):
    bulletin = _load(request, pk)
    user = request.user
    actor = workflow.Actor(role=user.role, is_owner=user.pk == bulletin.owner_id, is_superuser=user.is_superuser)
    actions = {str(a) for a in workflow.allowed_actions(bulletin.state, actor)} if (
        user.role in workflow.DRAFT_READERS or user.is_superuser) else set()
    units = [u for u in OrgUnit.objects.filter(path__startswith=bulletin.org_unit.path).order_by("path")] \
        if "edit" in actions else []
    return render(request, "bulletins/detail.html", {
        "nav_active": "bulletins", "bulletin": bulletin, "lines": selectors.bulletin_lines(user, bulletin),
        "steps": selectors.bulletin_steps(bulletin), "actions": actions,
        "A": {a.name: str(a) for a in DocAction}, "kinds": [(k.value, k.label) for k in LineKind],
        "units": units,
    })


def _edit(request, **kw):
    lines = {}
    for key in request.POST:
        if key.startswith("comment_"):
            try:
                line_id = int(key.removeprefix("comment_"))
            except ValueError:
                continue
            lines[line_id] = {"comment": request.POST.get(key, ""), "included": request.POST.get(f"included_{line_id}") == "1"}
    return services.bulletin_edit(title=request.POST.get("title", ""), intro=request.POST.get("intro", ""),
                                  lines=lines, **kw)


_STEPS = {
    DocAction.EDIT: _edit,
    DocAction.SUBMIT: lambda request, **kw: services.bulletin_submit(**kw),
    DocAction.APPROVE: lambda request, **kw: services.bulletin_approve(**kw),
    DocAction.RETURN: lambda request, **kw: services.bulletin_return(note=request.POST.get("note", ""), **kw),
    DocAction.PUBLISH: lambda request, **kw: services.bulletin_publish(**kw),
}


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@require_POST
@login_required
def bulletin_step(request, pk: int, action: str):
    try:
        step = _STEPS[DocAction(action)]
    except (ValueError, KeyError):
        raise Http404 from None
    version = _version(request)
    if version is None:
        messages.error(request, _("The form is incomplete: reload the page."))
        return redirect("bulletins:detail", pk=pk)
    try:
        result = step(request, actor=request.user, bulletin_id=pk, version=version)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        if DocAction(action) == DocAction.PUBLISH:
            messages.success(request, _("Published: the units it names are told (%(n)s messages).") % {"n": result})
        else:
            messages.success(request, _("Saved."))
    return redirect("bulletins:detail", pk=pk)


@require_POST
@login_required
def bulletin_add_line(request, pk: int):
    version = _version(request)
    if version is None:
        messages.error(request, _("The form is incomplete: reload the page."))
        return redirect("bulletins:detail", pk=pk)
    try:
        services.bulletin_add_line(actor=request.user, bulletin_id=pk, version=version,
                                   kind=request.POST.get("kind", ""), org_unit_code=request.POST.get("org_unit", "")[:40],
                                   numbers=request.POST.get("numbers", "")[:2000],
                                   comment=request.POST.get("comment", ""))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Line added."))
    return redirect("bulletins:detail", pk=pk)
