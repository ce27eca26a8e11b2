"""The staff member's notifications on screen: the inbox page, the bell's count, marking
read (POST only) and the notification settings. Every read is the viewer's own messages."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from complaintdesk.core.errors import NotFound, ValidationFailed
from complaintdesk.notifications import selectors, services
from complaintdesk.notifications.vocabulary import MessageChannel, StaffEvent

PAGE_SIZE = 30


def _ticket_url(message) -> str | None:
    ticket_id = (message.context or {}).get("ticket_id")
    if isinstance(ticket_id, int) and ticket_id > 0:
        return reverse("workbench:ticket", kwargs={"ticket_id": ticket_id})
    # Reports and bulletins (monthly/, bulletins/): their own pages check who may read them.
    for key, name in (("report_id", "monthly:detail"), ("bulletin_id", "bulletins:detail")):
        value = (message.context or {}).get(key)
        if isinstance(value, int) and value > 0:
            return reverse(name, kwargs={"pk": value})
    return None


@login_required
@require_GET
def inbox(request):
    unread_only = request.GET.get("unread") == "1"
    try:
        page = selectors.inbox(user=request.user, unread_only=unread_only,
                               cursor=request.GET.get("cursor", "")[:100], limit=PAGE_SIZE)
    except ValidationFailed:
        return HttpResponseRedirect(reverse("notifications:inbox"))
    rows = [{"message": m, "url": _ticket_url(m)} for m in page.items]
    return render(request, "notifications/inbox.html", {
        "rows": rows, "page": page, "unread_only": unread_only, "nav_active": "inbox",
    })


@login_required
@require_GET
def bell(request):
    """The top bar's count, polled by htmx; no other query."""
    return render(request, "notifications/_bell.html",
                  {"unread": selectors.unread_count(user=request.user)})


def _back(request, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = default
    return HttpResponseRedirect(target)


@login_required
@require_POST
def mark_read(request, message_id: int):
    """Mark one read, then open its ticket (or go back to the inbox)."""
    try:
        message = services.message_mark_read(message_id=message_id, user=request.user)
    except NotFound:
        raise Http404(gettext("No such notification.")) from None
    if request.POST.get("open") == "1" and _ticket_url(message):
        return HttpResponseRedirect(_ticket_url(message))
    return _back(request, reverse("notifications:inbox"))


@login_required
@require_POST
def mark_all_read(request):
    count = services.message_mark_all_read(user=request.user)
    flash.success(request, ngettext("%(n)d notification marked read.", "%(n)d notifications marked read.", count) % {"n": count})
    return _back(request, reverse("notifications:inbox"))


class SettingsForm(forms.Form):
    sms_phone = forms.CharField(label=_("Mobile for text messages"), required=False, max_length=30)
    quiet_from = forms.TimeField(label=_("Quiet hours from"), required=False)
    quiet_to = forms.TimeField(label=_("Quiet hours until"), required=False)


def _grid(channels: dict) -> list[dict]:
    default = [str(c) for c in services.DEFAULT_CHANNELS]
    return [
        {"event": event, "label": event.label,
         "channels": [{"value": str(c), "label": c.label, "name": f"ch_{event}_{c}",
                       "checked": str(c) in channels.get(str(event), default)}
                      for c in MessageChannel]}
        for event in StaffEvent
    ]


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request):
    setting = selectors.notification_setting(user=request.user)
    chosen = dict(setting.channels) if setting else {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = SettingsForm(request.POST)
        chosen = {str(e): [str(c) for c in MessageChannel if request.POST.get(f"ch_{e}_{c}")]
                  for e in StaffEvent}
        if form.is_valid():
            try:
                services.notification_setting_save(
                    user=request.user, channels=chosen, sms_phone=form.cleaned_data["sms_phone"],
                    quiet_from=form.cleaned_data["quiet_from"], quiet_to=form.cleaned_data["quiet_to"])
            except ValidationFailed as exc:
                for f in exc.fields:
                    errors.setdefault(f.field.split(".")[0], []).append(str(f.reason))
            else:
                flash.success(request, gettext("Your notification settings are saved."))
                return HttpResponseRedirect(reverse("notifications:settings"))
        else:
            errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        status = 422
    else:
        form = SettingsForm(initial={
            "sms_phone": setting.sms_phone if setting else "",
            "quiet_from": _hm(setting.quiet_from) if setting else None,
            "quiet_to": _hm(setting.quiet_to) if setting else None,
        })
        status = 200
    return render(request, "notifications/settings.html", {
        "form": form, "grid": _grid(chosen), "errors": errors, "nav_active": "inbox",
        "has_email": bool(request.user.email),
    }, status=status)


def _hm(value: dt.time | None) -> str | None:
    return value.strftime("%H:%M") if value else None
