"""The regulator pages: the registration form's preview of the regulator's deadline and
admissibility hints (htmx partial), the reply sheet of one ticket, and the reply sheets of a
regulator's transfers for a period or a selection (/regulators/export/)."""

from __future__ import annotations

import datetime as dt
import tempfile

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from complaintdesk.audit.services import access_record
from complaintdesk.audit.vocabulary import AccessKind
from complaintdesk.regulators import selectors
from complaintdesk.regulators.models import RegulatorProfile
from complaintdesk.regulators.services.hints import hint_text
from complaintdesk.regulators.services.preview import transfer_preview
from complaintdesk.regulators.services.sheets import sheet_filename, sheet_write
from complaintdesk.regulators.services.transfers import basis_label, profile_options

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_INPUTS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]


class PreviewForm(forms.Form):
    regulator = forms.CharField(max_length=30, required=False)
    regulator_matter = forms.CharField(max_length=30, required=False)
    regulator_urgency = forms.CharField(max_length=20, required=False)
    transferred_at = forms.DateTimeField(required=False, input_formats=DATETIME_INPUTS)
    matter_date = forms.DateField(required=False)
    regulator_due_at = forms.DateTimeField(required=False, input_formats=DATETIME_INPUTS)
    org_unit = forms.CharField(max_length=40, required=False)


@login_required
@require_GET
def preview(request):
    form = PreviewForm(request.GET)
    if not form.is_valid():
        return render(request, "regulators/_preview.html", {"form_errors": form.errors})
    data = form.cleaned_data
    result = transfer_preview(viewer=request.user, regulator=data["regulator"], matter=data["regulator_matter"],
                              urgency=data["regulator_urgency"], transferred_at=data["transferred_at"],
                              matter_date=data["matter_date"], stated_due=data["regulator_due_at"],
                              org_unit=data["org_unit"])
    return render(request, "regulators/_preview.html", {
        "preview": result,
        "basis": basis_label(result.plan.figure.basis) if result.plan else "",
        "hints": [hint_text(h) for h in result.plan.hints] if result.plan else [],
        "due": timezone.localtime(result.due_at).strftime("%Y-%m-%d %H:%M") if result.due_at else "",
    })


def _sheet_response(request, profile, rows, suffix: str):
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    customers = sheet_write(viewer=request.user, profile=profile, rows=rows, out=out)
    access_record(actor=request.user, kind=AccessKind.REGULATOR_SHEET, customer_ids=customers,
                  path=request.get_full_path())
    out.seek(0)
    response = FileResponse(out, as_attachment=True, filename=sheet_filename(profile, suffix), content_type=XLSX)
    response["X-Export-Rows"] = str(len(rows))
    return response


@login_required
@require_GET
def ticket_sheet(request, ticket_id: int):
    """The reply sheet of one transferred ticket the viewer may see."""
    transfer = selectors.ticket_transfer(ticket_id=ticket_id)
    if transfer is None:
        raise Http404
    rows = selectors.sheet_rows(viewer=request.user, profile=transfer.profile, ticket_ids=[ticket_id])
    if not rows:
        raise Http404
    return _sheet_response(request, transfer.profile, rows, rows[0].ticket.number or str(ticket_id))


class ExportForm(forms.Form):
    profile = forms.ChoiceField(label=_("Regulator"), choices=())
    start = forms.DateField(label=_("Transferred from"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("Transferred until (inclusive)"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    def __init__(self, *args, profiles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = [(p.code, p.display_name) for p in profiles]

    def clean(self):
        data = super().clean()
        # The selection (ticked rows): ids only; the selector keeps it within the viewer's scope.
        raw = self.data.getlist("ticket") if hasattr(self.data, "getlist") else []
        if len(raw) > 10_000 or not all(str(v).isdigit() and len(str(v)) < 19 for v in raw):
            self.add_error(None, _("Choose tickets from the list."))
        else:
            data["ticket"] = [int(v) for v in raw]
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end of the period is before its start."))
        if start and end and (end - start).days > 400:
            self.add_error("end", _("Choose a period of at most 400 days."))
        return data


def _bounds(data) -> tuple[dt.datetime | None, dt.datetime | None]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(data["start"], dt.time(0), tzinfo=tz) if data.get("start") else None
    end = (dt.datetime.combine(data["end"] + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
           if data.get("end") else None)
    return start, end


@login_required
@require_GET
def export(request):
    """A regulator's transfers of a period (or a selection of them): the list, and the reply
    sheet in the regulator's layout (`?format=xlsx`)."""
    profiles = profile_options()
    if not profiles:
        return render(request, "regulators/export.html", {"nav_active": "regulators", "profiles": []})
    today = timezone.localdate()
    bound = request.GET.get("profile") is not None
    form = ExportForm(request.GET if bound else None, profiles=profiles,
                      initial={"profile": profiles[0].code, "start": today.replace(day=1), "end": today})
    rows, profile = [], None
    status = 200
    if bound and form.is_valid():
        data = form.cleaned_data
        profile = RegulatorProfile.objects.filter(code=data["profile"], active=True).first()
        start, end = _bounds(data)
        ids = data["ticket"] or None
        rows = selectors.sheet_rows(viewer=request.user, profile=profile, start=start, end=end, ticket_ids=ids)
        if request.GET.get("format") == "xlsx":
            return _sheet_response(request, profile, rows, "period" if ids is None else "selection")
    elif bound:
        status = 422
    return render(request, "regulators/export.html", {
        "nav_active": "regulators", "profiles": profiles, "form": form, "rows": rows, "profile": profile,
        "max_rows": selectors.SHEET_MAX_ROWS,
    }, status=status)
