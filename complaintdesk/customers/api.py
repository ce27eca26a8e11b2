"""The customer page and the segment callbacks: parse, call a service or selector, render."""

import datetime as dt

from ninja import Field, Query, Router

from complaintdesk.accounts.roles import FULL_PHONE_ROLES
from complaintdesk.audit.services import access_record
from complaintdesk.audit.vocabulary import AccessKind
from complaintdesk.core.phones import phone_shown
from complaintdesk.core.schema import InputSchema
from complaintdesk.customers import schemas as s
from complaintdesk.customers import selectors, services
from complaintdesk.customers.services import callbacks as callback_services

router = Router(tags=["customers"])


def _customer(request, customer_id: int) -> dict:
    page = selectors.customer_page(viewer=request.user, customer_id=customer_id)
    access_record(actor=request.user, kind=AccessKind.CUSTOMER_LOOKUP, customer_ids=[page.customer.pk],
                  full_phones=page.full_phones, path=request.path)
    return s.customer(page)


@router.get("/customers/{customer_id}", response=s.CustomerOut, summary="A customer's whole story")
def get_customer(request, customer_id: int):
    """Contacts with their history, today's segment, every ticket you may see with its state
    and satisfaction, repeat and over-the-head counts, open segment callbacks."""
    return _customer(request, customer_id)


@router.post("/customers/{customer_id}/phones", response={201: s.CustomerOut}, summary="Add a phone number")
def add_phone(request, customer_id: int, payload: s.PhoneIn):
    selectors.customer_page(viewer=request.user, customer_id=customer_id)  # scope first
    services.customer_phone_add(actor=request.user, customer_id=customer_id, number=payload.number,
                                label=payload.label)
    return 201, _customer(request, customer_id)


@router.post("/customers/{customer_id}/phones/{phone_id}/end", response=s.CustomerOut,
             summary="A number is no longer the customer's (kept in the history)")
def end_phone(request, customer_id: int, phone_id: int):
    selectors.customer_page(viewer=request.user, customer_id=customer_id)
    services.customer_phone_end(actor=request.user, customer_id=customer_id, phone_id=phone_id)
    return _customer(request, customer_id)


@router.post("/customers/{customer_id}/dates", response=s.CustomerOut,
             summary="Customer since and contract end (the segment callbacks count from them)")
def set_dates(request, customer_id: int, payload: s.DatesIn):
    selectors.customer_page(viewer=request.user, customer_id=customer_id)
    services.customer_dates_set(actor=request.user, customer_id=customer_id,
                                customer_since=payload.customer_since, contract_end=payload.contract_end)
    return _customer(request, customer_id)


class CallbackQuery(InputSchema):
    due_by: dt.date | None = Field(None, description="Only callbacks due on or before this date.")


@router.get("/callbacks", response=list[s.CallbackOut], summary="Open segment callbacks (worklist)")
def list_callbacks(request, q: Query[CallbackQuery]):
    rows = selectors.callback_worklist(viewer=request.user, due_by=q.due_by)
    full = request.user.role in FULL_PHONE_ROLES
    access_record(actor=request.user, kind=AccessKind.CUSTOMER_LOOKUP, customer_ids=[t.customer_id for t in rows],
                  full_phones=full, path=request.path)
    return [s.callback(t, [phone_shown(p, full=full) for p in t.current_phones]) for t in rows]


@router.post("/callbacks/{task_id}/done", response=s.CallbackOut, summary="Record a segment callback")
def callback_done(request, task_id: int, payload: s.CallbackDoneIn):
    task = callback_services.callback_task_complete(actor=request.user, task_id=task_id, reached=payload.reached,
                                           topics=payload.topics, satisfaction=payload.satisfaction)
    return s.callback(task)
