"""The callback worklist of tickets (/callbacks/tickets/): who to call next. Read only; an
attempt is recorded on the ticket page through the one writer (ticket_callback_attempt)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from complaintdesk.audit.services import access_record
from complaintdesk.audit.vocabulary import AccessKind
from complaintdesk.core.errors import NotFound
from complaintdesk.workbench.callbacks import LIMIT, callback_rows


@login_required
@require_GET
def ticket_callbacks(request):
    try:
        rows, more = callback_rows(viewer=request.user)
    except NotFound:
        raise Http404 from None
    access_record(actor=request.user, kind=AccessKind.CUSTOMER_LOOKUP, customer_ids={r.customer_id for r in rows},
                  full_phones=False, path=request.path)
    return render(request, "workbench/ticket_callbacks.html", {
        "rows": rows, "more": more, "limit": LIMIT, "nav_active": "ticket_callbacks",
        "max_attempts": rows[0].max_attempts if rows else None,
    })


urlpatterns = [
    path("callbacks/tickets/", ticket_callbacks, name="ticket_callbacks"),
]
