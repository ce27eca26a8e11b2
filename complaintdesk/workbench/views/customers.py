"""The customer page (/customers/<id>/): the customer's whole story — contacts with their
history, today's segment, every ticket the viewer may see with its state and satisfaction,
repeat and over-the-head counts, open segment callbacks — and the segment-callback worklist
(/callbacks/). Changes are POSTs to one service call each, then redirect (PRG)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from complaintdesk.accounts.roles import FULL_PHONE_ROLES
from complaintdesk.audit.services import access_record
from complaintdesk.audit.vocabulary import AccessKind
from complaintdesk.core.errors import DomainError, NotFound
from complaintdesk.core.phones import phone_shown
from complaintdesk.customers import selectors, services
from complaintdesk.customers.models import CallbackReason, PhoneLabel, Segment
from complaintdesk.customers.scope import may_call_back
from complaintdesk.customers.services import callbacks as callback_services
from complaintdesk.tickets.vocabulary import Channel, Kind, Satisfaction, State


def _label(enum, value) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return str(value or "")


def _error_text(exc: DomainError) -> str:
    if exc.fields:
        return "; ".join(str(f.reason) for f in exc.fields)
    return str(exc.message)


def _load(request, customer_id: int):
    try:
        return selectors.customer_page(viewer=request.user, customer_id=customer_id)
    except NotFound:
        raise Http404(gettext("No such customer.")) from None


@login_required
@require_GET
def customer_detail(request, customer_id: int):
    page = _load(request, customer_id)
    access_record(actor=request.user, kind=AccessKind.CUSTOMER_LOOKUP, customer_ids=[page.customer.pk],
                  full_phones=page.full_phones, path=request.path)
    phones = [{"id": p.pk, "display": phone_shown(p.number, full=page.full_phones), "label": p.get_label_display(),
               "current": p.valid_to is None, "from": p.valid_from, "to": p.valid_to, "by": p.changed_by}
              for p in page.phones]
    tickets = [{"id": t.pk, "number": t.number, "title": t.title, "kind": _label(Kind, t.kind),
                "state": _label(State, t.state), "state_value": t.state, "channel": _label(Channel, t.channel),
                "satisfaction": _label(Satisfaction, t.satisfaction) if t.satisfaction else "",
                "created_at": t.created_at, "category": t.category.display_name,
                "repeat": t.pk in page.repeat_ids, "over_the_head": t.pk in page.over_the_head_ids}
               for t in page.tickets]
    return render(request, "workbench/customer.html", {
        "page": page, "customer": page.customer, "segment_label": _label(Segment, page.segment),
        "phones": phones, "tickets": tickets, "labels": PhoneLabel.choices,
        "callbacks": [{"task": t, "reason": _label(CallbackReason, t.reason)} for t in page.callbacks],
        "satisfactions": [(s.value, s.label) for s in Satisfaction],
        "may_edit": may_call_back(request.user), "nav_active": "worklists",
    })


def _back(customer_id: int):
    return redirect("workbench:customer", customer_id=customer_id)


@login_required
@require_POST
def phone_add(request, customer_id: int):
    _load(request, customer_id)
    try:
        services.customer_phone_add(actor=request.user, customer_id=customer_id,
                                    number=request.POST.get("number", "")[:41],
                                    label=request.POST.get("label", PhoneLabel.MOBILE))
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, gettext("Number added."))
    return _back(customer_id)


@login_required
@require_POST
def phone_end(request, customer_id: int, phone_id: int):
    _load(request, customer_id)
    try:
        services.customer_phone_end(actor=request.user, customer_id=customer_id, phone_id=phone_id)
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, gettext("The number is no longer in use; it stays in the history."))
    return _back(customer_id)


def _date(value: str, field: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        from complaintdesk.core.errors import ValidationFailed

        raise ValidationFailed.on(field, gettext("Enter a date as YYYY-MM-DD.")) from None


@login_required
@require_POST
def dates_set(request, customer_id: int):
    _load(request, customer_id)
    try:
        services.customer_dates_set(actor=request.user, customer_id=customer_id,
                                    customer_since=_date(request.POST.get("customer_since", ""), "customer_since"),
                                    contract_end=_date(request.POST.get("contract_end", ""), "contract_end"))
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, gettext("Dates saved."))
    return _back(customer_id)


@login_required
@require_GET
def callbacks(request):
    today = timezone.localdate()
    rows = selectors.callback_worklist(viewer=request.user)
    full = request.user.role in FULL_PHONE_ROLES
    access_record(actor=request.user, kind=AccessKind.CUSTOMER_LOOKUP, customer_ids=[t.customer_id for t in rows],
                  full_phones=full, path=request.path)
    return render(request, "workbench/callbacks.html", {
        "rows": [{"task": t, "reason": _label(CallbackReason, t.reason), "overdue": t.due_on < today,
                  "phones": [phone_shown(p, full=full) for p in t.current_phones]} for t in rows],
        "satisfactions": [(s.value, s.label) for s in Satisfaction],
        "may_call": may_call_back(request.user), "nav_active": "callbacks",
    })


@login_required
@require_POST
def callback_done(request, task_id: int):
    reached = request.POST.get("reached", "1") == "1"
    try:
        task = callback_services.callback_task_complete(actor=request.user, task_id=task_id, reached=reached,
                                               topics=request.POST.get("topics", "")[:2001],
                                               satisfaction=request.POST.get("satisfaction", ""))
    except NotFound:
        raise Http404(gettext("No such callback.")) from None
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, gettext("Callback recorded for %(name)s.") % {
            "name": task.customer.name or f"#{task.customer_id}"})
    back = request.POST.get("back", "")
    if back.isdigit():
        return _back(int(back))
    return redirect("workbench:callbacks")


urlpatterns = [
    path("customers/<int:customer_id>/", customer_detail, name="customer"),
    path("customers/<int:customer_id>/phones/", phone_add, name="customer_phone_add"),
    path("customers/<int:customer_id>/phones/<int:phone_id>/end/", phone_end, name="customer_phone_end"),
    path("customers/<int:customer_id>/dates/", dates_set, name="customer_dates"),
    path("callbacks/", callbacks, name="callbacks"),
    path("callbacks/<int:task_id>/done/", callback_done, name="callback_done"),
]
