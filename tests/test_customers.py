"""The customer's whole story: contacts with history, segment, scoped tickets and counts,
and the segment callbacks (002) generated idempotently by the periodic job."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaintdesk.core.errors import NotFound, ValidationFailed
from complaintdesk.customers import segments
from complaintdesk.customers.models import CallbackTask, CustomerPhone
from complaintdesk.customers.selectors import callback_worklist, customer_page
from complaintdesk.customers.services import (
    customer_dates_set,
    customer_for_phone,
    customer_phone_add,
    customer_phone_end,
)
from complaintdesk.customers.services.callbacks import (
    callback_task_complete,
    callback_tasks_generate,
)
from complaintdesk.tickets.services import transitions as t

D = dt.date


# -- segments and their callbacks (pure) -------------------------------------------------------

def test_segment_on_a_date():
    today = D(2026, 12, 4)
    assert segments.segment_on(today=today, since=D(2026, 11, 20), contract_end=None, recorded="unknown") == "new"
    assert segments.segment_on(today=today, since=D(2025, 1, 1), contract_end=None, recorded="unknown") == "regular"
    assert segments.segment_on(today=today, since=D(2025, 1, 1), contract_end=D(2026, 12, 20), recorded="vip") == "near_contract_end"
    assert segments.segment_on(today=today, since=D(2025, 1, 1), contract_end=D(2026, 11, 1), recorded="vip") == "vip"
    assert segments.segment_on(today=today, since=None, contract_end=None, recorded="unknown") == "unknown"


def test_callbacks_due_by_segment():
    # New: twice in the first month (day 7 and day 21), then monthly from the second month.
    due = segments.callbacks_due(start=D(2026, 12, 1), end=D(2027, 1, 31), since=D(2026, 12, 1),
                                 contract_end=None, recorded="unknown")
    assert due == [(D(2026, 12, 8), "new_first"), (D(2026, 12, 22), "new_second"), (D(2027, 1, 1), "monthly")]
    # Regular: monthly on the day they started (the 31st becomes the month's last day).
    due = segments.callbacks_due(start=D(2027, 2, 1), end=D(2027, 3, 31), since=D(2025, 1, 31),
                                 contract_end=None, recorded="regular")
    assert due == [(D(2027, 2, 28), "monthly"), (D(2027, 3, 31), "monthly")]
    # Near contract end: once, 14 days before it ends; no monthly call after the end.
    due = segments.callbacks_due(start=D(2027, 3, 1), end=D(2027, 5, 31), since=D(2025, 1, 10),
                                 contract_end=D(2027, 4, 20), recorded="regular")
    assert due == [(D(2027, 3, 10), "monthly"), (D(2027, 4, 6), "contract_end"), (D(2027, 4, 10), "monthly")]
    assert segments.callbacks_due(start=D(2027, 1, 1), end=D(2027, 12, 31), since=None, contract_end=None,
                                  recorded="unknown") == []


# -- contacts with history ------------------------------------------------------------------------

def test_phones_with_history_and_a_recycled_number(make_ticket, users):
    ticket = make_ticket()
    customer = ticket.customer
    agent = users["intake_agent"]
    second = customer_phone_add(actor=agent, customer_id=customer.pk, number="139 0013 9000", label="home")
    assert second.number == "+8613900139000" and second.valid_to is None
    with pytest.raises(ValidationFailed) as err:
        customer_phone_add(actor=agent, customer_id=customer.pk, number="13900139000")
    assert err.value.fields[0].field == "number"
    with pytest.raises(ValidationFailed):
        customer_phone_add(actor=agent, customer_id=customer.pk, number="12345")
    first = CustomerPhone.objects.get(customer=customer, number="+8613800138000")
    customer_phone_end(actor=agent, customer_id=customer.pk, phone_id=first.pk)
    with pytest.raises(ValidationFailed):  # the last current number stays
        customer_phone_end(actor=agent, customer_id=customer.pk, phone_id=second.pk)
    # The ended number is kept in the history and may pass to a new customer.
    assert CustomerPhone.objects.filter(customer=customer).count() == 2
    other = customer_for_phone(phone="+8613800138000", name="李四")
    assert other.pk != customer.pk
    assert customer_for_phone(phone="+8613900139000").pk == customer.pk
    page = customer_page(viewer=users["admin"], customer_id=customer.pk)
    assert [p.number for p in page.phones] == ["+8613900139000", "+8613800138000"]
    assert page.phones[1].valid_to is not None


# -- the customer page ----------------------------------------------------------------------------

def test_customer_page_is_scoped(make_ticket, users):
    a = make_ticket()
    b = make_ticket(title="信号弱", description="家里信号很弱", category="network-weak", elements={})
    customer = a.customer
    assert b.customer_id == customer.pk
    page = customer_page(viewer=users["dispatcher"], customer_id=customer.pk)
    # Another matter (another category): not a repeat complaint.
    assert {x.pk for x in page.tickets} == {a.pk, b.pk} and page.repeat_count == 0 and page.open_count == 2
    for outsider in ("city_b_dispatcher", "network_handler", "handler"):
        with pytest.raises(NotFound):
            customer_page(viewer=users[outsider], customer_id=customer.pk)
    t.ticket_review(ticket_id=b.pk, actor=users["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=b.pk, actor=users["dispatcher"])  # to network operations
    page = customer_page(viewer=users["network_handler"], customer_id=customer.pk)
    assert [x.pk for x in page.tickets] == [b.pk]  # only what the department may see


def test_over_the_head_counts(make_ticket, users):
    make_ticket()
    above = make_ticket(channel="regulator_transfer", source_tier="12315")
    page = customer_page(viewer=users["dispatcher"], customer_id=above.customer_id)
    assert page.repeat_count == 1 and page.over_the_head_count == 1 and page.over_the_head_ids == {above.pk}


@pytest.mark.parametrize("n", [2, 8])
def test_customer_page_has_a_fixed_number_of_queries(make_ticket, users, n):
    first = make_ticket()
    for i in range(n - 1):
        make_ticket()
        customer_phone_add(actor=users["admin"], customer_id=first.customer_id, number=f"1390013{9000 + i}")
    viewer = type(users["dispatcher"]).objects.select_related("org_unit").get(pk=users["dispatcher"].pk)
    customer_dates_set(actor=viewer, customer_id=first.customer_id, customer_since=D(2020, 1, 5), contract_end=None)
    callback_tasks_generate(today=D(2026, 1, 1), lookahead_days=120)
    with CaptureQueriesContext(connection) as ctx:
        page = customer_page(viewer=viewer, customer_id=first.customer_id)
    assert page.total == n and len(page.phones) == n and len(page.callbacks) == 4
    assert len(ctx.captured_queries) == 4


# -- segment callbacks -----------------------------------------------------------------------------

def test_callbacks_are_generated_once_per_customer_and_date(make_ticket, users):
    new = make_ticket().customer
    regular = make_ticket(phone="13900139001").customer
    nothing = make_ticket(phone="13900139002").customer  # no dates, segment unknown
    admin = users["admin"]
    customer_dates_set(actor=admin, customer_id=new.pk, customer_since=D(2026, 12, 1), contract_end=None)
    customer_dates_set(actor=admin, customer_id=regular.pk, customer_since=D(2024, 6, 10), contract_end=D(2027, 1, 1))
    created = callback_tasks_generate(today=D(2026, 12, 4), lookahead_days=25)
    assert created == 4
    assert sorted(CallbackTask.objects.values_list("customer_id", "due_on", "reason")) == sorted([
        (new.pk, D(2026, 12, 8), "new_first"), (new.pk, D(2026, 12, 22), "new_second"),
        (regular.pk, D(2026, 12, 10), "monthly"), (regular.pk, D(2026, 12, 18), "contract_end")])
    assert callback_tasks_generate(today=D(2026, 12, 4), lookahead_days=25) == 0
    assert callback_tasks_generate(today=D(2026, 12, 5), lookahead_days=24) == 0
    assert CallbackTask.objects.count() == 4
    assert not CallbackTask.objects.filter(customer=nothing).exists()


def test_the_periodic_job_is_wired(make_ticket, users):
    from complaintdesk.customers import tasks

    job = tasks.segment_callbacks_every_hour
    assert job.name == "customers.segment_callbacks"
    assert job.task_class().validate_datetime(dt.datetime(2026, 12, 4, 6, 5))
    assert not job.task_class().validate_datetime(dt.datetime(2026, 12, 4, 6, 6))
    customer = make_ticket().customer
    customer_dates_set(actor=users["admin"], customer_id=customer.pk,
                       customer_since=dt.date.today() - dt.timedelta(days=3), contract_end=None)
    job()  # huey's immediate mode under pytest: runs here and now
    assert CallbackTask.objects.filter(customer=customer, reason="new_first").exists()


def test_callback_worklist_and_recording(make_ticket, users):
    customer = make_ticket().customer
    customer_dates_set(actor=users["admin"], customer_id=customer.pk, customer_since=D(2026, 12, 1), contract_end=None)
    callback_tasks_generate(today=D(2026, 12, 4), lookahead_days=20)
    rows = callback_worklist(viewer=users["intake_agent"])
    assert [r.reason for r in rows] == ["new_first", "new_second"] and rows[0].current_phones == ["+8613800138000"]
    assert callback_worklist(viewer=users["city_b_dispatcher"]) == []  # neither their unit nor their ticket
    assert callback_worklist(viewer=users["handler"]) == []
    with pytest.raises(ValidationFailed):
        callback_task_complete(actor=users["intake_agent"], task_id=rows[0].pk, reached=True, topics="", satisfaction="")
    with pytest.raises(NotFound):
        callback_task_complete(actor=users["handler"], task_id=rows[0].pk, reached=False)
    done = callback_task_complete(actor=users["intake_agent"], task_id=rows[0].pk, reached=True,
                                  topics="宽带使用情况", satisfaction="satisfied")
    assert done.state == "done" and done.done_by == users["intake_agent"]
    assert [r.pk for r in callback_worklist(viewer=users["intake_agent"])] == [rows[1].pk]


@pytest.mark.parametrize("n", [1, 6])
def test_callback_worklist_has_a_fixed_number_of_queries(make_ticket, users, n):
    for i in range(n):
        c = make_ticket(phone=f"1390013{9100 + i}").customer
        customer_dates_set(actor=users["admin"], customer_id=c.pk, customer_since=D(2026, 12, 1), contract_end=None)
    callback_tasks_generate(today=D(2026, 12, 4), lookahead_days=20)
    viewer = type(users["dispatcher"]).objects.select_related("org_unit").get(pk=users["dispatcher"].pk)
    with CaptureQueriesContext(connection) as ctx:
        rows = callback_worklist(viewer=viewer)
    assert len(rows) == 2 * n and len(ctx.captured_queries) == 2


# -- API and pages --------------------------------------------------------------------------------

def test_customer_api(make_ticket, api, users):
    ticket = make_ticket()
    cid = ticket.customer_id
    agent = api(users["intake_agent"])
    r = agent.get(f"/customers/{cid}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["tickets"][0]["number"] == ticket.number and body["phones"][0]["current"] is True
    assert agent.post(f"/customers/{cid}/phones", {"number": "139 0013 9000", "label": "work"}).status_code == 201
    assert agent.post(f"/customers/{cid}/phones", {"number": "abc"}).status_code == 422
    assert agent.post(f"/customers/{cid}/phones", {"number": "13900139000", "label": "fax"}).status_code == 422
    pid = body["phones"][0]["id"]
    r = agent.post(f"/customers/{cid}/phones/{pid}/end")
    assert r.status_code == 200 and [p["current"] for p in r.json()["phones"]] == [True, False]
    assert agent.post(f"/customers/{cid}/phones/{pid}/end").status_code == 409
    assert agent.post(f"/customers/{cid}/dates", {"customer_since": "2026-12-01"}).json()["customer_since"] == "2026-12-01"
    assert agent.post(f"/customers/{cid}/dates", {"customer_since": "2026-12-01", "contract_end": "2020-01-01"}).status_code == 422
    assert agent.post(f"/customers/{cid}/dates", {"customer_since": "not a date"}).status_code == 422
    assert api(users["city_b_dispatcher"]).get(f"/customers/{cid}").status_code == 404
    assert agent.get("/customers/99999999").status_code == 404
    callback_tasks_generate(today=dt.date.today(), lookahead_days=30)
    rows = agent.get("/callbacks").json()
    assert rows and rows[0]["customer_id"] == cid
    assert agent.get("/callbacks?due_by=nonsense").status_code == 422
    tid = rows[0]["id"]
    assert agent.post(f"/callbacks/{tid}/done", {"reached": True, "satisfaction": "great"}).status_code == 422
    assert agent.post(f"/callbacks/{tid}/done", {"reached": True, "topics": "资费", "satisfaction": "neutral"}).json()["state"] == "done"
    assert agent.post(f"/callbacks/{tid}/done", {"reached": False}).status_code == 409
    assert agent.post("/callbacks/99999999/done", {"reached": False}).status_code == 404


@pytest.mark.parametrize("lang,word", [("en", "Contacts"), ("zh-hans", "联系方式")])
def test_customer_and_callback_pages(make_ticket, client, users, lang, word):
    ticket = make_ticket()
    customer_dates_set(actor=users["admin"], customer_id=ticket.customer_id, customer_since=dt.date.today(),
                       contract_end=None)
    callback_tasks_generate(today=dt.date.today(), lookahead_days=30)
    client.force_login(users["intake_agent"])
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = lang
    html = client.get(reverse("workbench:customer", args=[ticket.customer_id])).content.decode()
    assert word in html and ticket.number in html and "138 0013 8000" in html
    r = client.post(reverse("workbench:customer_phone_add", args=[ticket.customer_id]), {"number": "xx"}, follow=True)
    assert r.status_code == 200 and b"message-error" in r.content
    r = client.post(reverse("workbench:customer_phone_add", args=[ticket.customer_id]),
                    {"number": "13900139000", "label": "home"}, follow=True)
    assert "139 0013 9000" in r.content.decode()
    r = client.post(reverse("workbench:customer_dates", args=[ticket.customer_id]), {"customer_since": "2026-13-40"}, follow=True)
    assert b"message-error" in r.content
    html = client.get(reverse("workbench:callbacks")).content.decode()
    assert ticket.customer.name in html
    task = CallbackTask.objects.filter(customer_id=ticket.customer_id).first()
    r = client.post(reverse("workbench:callback_done", args=[task.pk]), {"reached": "1", "topics": "满意", "satisfaction": "satisfied"}, follow=True)
    assert r.status_code == 200 and CallbackTask.objects.get(pk=task.pk).state == "done"
    assert client.get(reverse("workbench:customer", args=[999999])).status_code == 404
    assert client.get(reverse("workbench:customer_phone_add", args=[ticket.customer_id])).status_code == 405
    client.force_login(users["city_b_dispatcher"])
    assert client.get(reverse("workbench:customer", args=[ticket.customer_id])).status_code == 404


def test_phones_masked_by_role_and_every_read_recorded(make_ticket, api, users, client):
    from complaintdesk.audit.models import PersonalDataAccess
    from complaintdesk.core.errors import Forbidden

    ticket = make_ticket()
    cid = ticket.customer_id
    body = api(users["leader"]).get(f"/customers/{cid}").json()
    assert body["phones"][0]["number"] == "138****8000" and body["phones"][0]["display"] == "138****8000"
    assert api(users["dispatcher"]).get(f"/customers/{cid}").json()["phones"][0]["number"] == "+8613800138000"
    client.force_login(users["leader"])
    html = client.get(reverse("workbench:customer", args=[cid])).content.decode()
    assert "138****8000" in html and "138 0013 8000" not in html
    records = PersonalDataAccess.objects.filter(kind="customer_lookup")
    assert records.count() == 3 and records.filter(full_phones=False).count() == 2
    assert all(r.subjects == f",{cid}," for r in records)
    # Departments read the customer; the centre keeps the contacts.
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"])  # to billing
    assert api(users["handler"]).get(f"/customers/{cid}").json()["phones"][0]["number"] == "+8613800138000"
    with pytest.raises(Forbidden):
        customer_phone_add(actor=users["handler"], customer_id=cid, number="13900139000")
    assert api(users["handler"]).post(f"/customers/{cid}/phones", {"number": "13900139000"}).status_code == 403
