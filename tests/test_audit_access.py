"""Personal data (issue 13 §7): reads and exports of customers' personal data are recorded,
one record per request; phone numbers are masked for the roles that need not see them, in
pages, the API and the dossier alike; exact phone search still works for those who may."""

import io

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from complaintdesk.audit.models import PersonalDataAccess
from complaintdesk.audit.selectors import customer_accesses
from complaintdesk.audit.services import access_record
from complaintdesk.core.phones import elements_shown, mask_phone, phone_shown
from complaintdesk.sla.models import TicketClock
from complaintdesk.sla.services.ledger import ledger_enter_breaches
from complaintdesk.tickets.facts import sees_full_phones
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.selectors import TicketFilters, ticket_list
from complaintdesk.tickets.services import transitions as t

PHONE, SHOWN, MASKED = "13800138000", "138 0013 8000", "138****8000"
OTHER = "13912345678"


@pytest.fixture
def held(org, make_ticket):
    """A ticket held by billing (lead) with network assisting."""
    u = org["users"]
    ticket = make_ticket()
    t.ticket_review(ticket_id=ticket.pk, actor=u["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=u["dispatcher"])
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=u["handler"])
    t.ticket_co_handle(ticket_id=ticket.pk, actor=u["handler"], departments=["network"])
    return Ticket.objects.get(pk=ticket.pk)


def _records():
    return list(PersonalDataAccess.objects.order_by("id"))


# -- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who,full", [
    ("intake_agent", True), ("dispatcher", True), ("supervisor", True), ("admin", True),
    ("handler", True), ("dept_head", True),  # billing holds the ticket
    ("network_handler", False),  # network only assists
    ("leader", False),
])
def test_who_sees_phone_numbers_in_full(org, held, who, full):
    assert sees_full_phones(org["users"][who], held) is full


def test_a_department_that_no_longer_holds_the_ticket_sees_it_masked(org, held):
    u = org["users"]
    t.ticket_transfer(ticket_id=held.pk, actor=u["dispatcher"], department="network", reason="改派")
    held.refresh_from_db()
    assert not sees_full_phones(u["handler"], held)
    assert sees_full_phones(u["network_handler"], held)


def test_one_function_masks_numbers_and_phone_elements():
    assert phone_shown("+8613800138000", full=True) == SHOWN
    assert phone_shown("+8613800138000", full=False) == MASKED
    assert mask_phone("+862012345678") == "020****5678" and mask_phone("") == ""
    elements = {"account_phone": "+8613800138000", "month": "2026-10-01", "amount": "58", "n": 3}
    assert elements_shown(elements, full=True) is elements
    assert elements_shown(elements, full=False) == {**elements, "account_phone": MASKED}


# -- pages --------------------------------------------------------------------------------------


def _page(client, user, ticket):
    client.force_login(user)
    r = client.get(reverse("workbench:ticket", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    return r.content.decode()


def test_the_ticket_page_masks_phones_for_a_leader_and_an_assisting_department(client, org, held):
    u = org["users"]
    for who in ("leader", "network_handler"):
        html = _page(client, u[who], held)
        assert MASKED in html and SHOWN not in html and PHONE not in html, who
    html = _page(client, u["handler"], held)
    assert SHOWN in html and MASKED not in html


def test_reading_a_ticket_page_records_one_access_with_its_customer(client, org, held):
    u = org["users"]
    PersonalDataAccess.objects.all().delete()
    _page(client, u["leader"], held)
    _page(client, u["dispatcher"], held)
    leader, dispatcher = _records()
    assert (leader.actor, leader.kind, leader.ticket_id, leader.customer_ids, leader.full_phones) == (
        u["leader"], "ticket_page", held.pk, [held.customer_id], False)
    assert (dispatcher.actor, dispatcher.full_phones, dispatcher.count) == (u["dispatcher"], True, 1)
    assert dispatcher.path == f"/tickets/{held.pk}/"


# -- API ------------------------------------------------------------------------------------------


def test_api_detail_and_list_mask_for_a_leader_and_record_one_access_each(org, api, held, make_ticket):
    u = org["users"]
    other = make_ticket(phone=OTHER, customer_name="李四", elements={"account_phone": OTHER,
                                                                   "month": "2026-10-01", "amount": "1"})
    PersonalDataAccess.objects.all().delete()
    leader = api(u["leader"])
    detail = leader.get(f"/tickets/{held.pk}").json()
    assert detail["contact_phone"] == MASKED and detail["elements"]["account_phone"] == MASKED
    items = leader.get("/tickets").json()["items"]
    assert {i["contact_phone"] for i in items} == {MASKED, "139****5678"}
    one, many = _records()
    assert (one.kind, one.customer_ids, one.ticket_id) == ("ticket_api", [held.customer_id], held.pk)
    assert (many.kind, many.customer_ids, many.count) == (
        "ticket_list_api", sorted({held.customer_id, other.customer_id}), 2)

    full = api(u["dispatcher"]).get(f"/tickets/{held.pk}").json()
    assert full["contact_phone"] == SHOWN and full["elements"]["account_phone"] == "+8613800138000"


def test_a_list_records_one_insert_whatever_its_length(org, api, make_ticket):
    caller = api(org["users"]["supervisor"])
    make_ticket()

    def inserts():
        with CaptureQueriesContext(connection) as ctx:
            assert caller.get("/tickets").status_code == 200
        return [q["sql"] for q in ctx.captured_queries if "audit_personaldataaccess" in q["sql"]]

    assert len(inserts()) == 1
    for i in range(6):
        make_ticket(phone=f"1390000{i:04d}")
    assert len(inserts()) == 1
    assert PersonalDataAccess.objects.order_by("-id").first().count == 7


def test_nothing_shown_nothing_recorded(org, api):
    assert api(org["users"]["leader"]).get("/tickets").json()["items"] == []
    assert not PersonalDataAccess.objects.exists()


# -- exports --------------------------------------------------------------------------------------


def test_exporting_a_worklist_records_one_access_with_every_customer(client, org, make_ticket):
    u = org["users"]
    tickets = [make_ticket(), make_ticket(phone=OTHER), make_ticket()]
    PersonalDataAccess.objects.all().delete()
    client.force_login(u["dispatcher"])
    r = client.get("/work/all/export.xlsx")
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 4
    [rec] = _records()
    assert rec.kind == "worklist_export" and rec.actor == u["dispatcher"]
    assert rec.customer_ids == sorted({x.customer_id for x in tickets}) and rec.count == 2
    assert rec.path.startswith("/work/all/export.xlsx")


def _ledger(ticket):
    ticket = Ticket.objects.select_related("category", "org_unit", "owner", "lead_department",
                                           "lead_assignee", "customer").get(pk=ticket.pk)
    now = timezone.now()
    clock = TicketClock.objects.create(ticket=ticket, clock="handle", started_at=now, due_at=now)
    [entry] = ledger_enter_breaches(breaches=[(clock, ticket)], now=now)
    return entry


def test_exporting_the_ledger_records_one_access(org, api, held, make_ticket):
    other = make_ticket(phone=OTHER)
    _ledger(held), _ledger(other)
    PersonalDataAccess.objects.all().delete()
    r = api(org["users"]["supervisor"]).get("/ledger.xlsx")
    assert r.status_code == 200
    [rec] = _records()
    assert (rec.kind, rec.customer_ids) == ("ledger_export", sorted({held.customer_id, other.customer_id}))


def test_the_dossier_masks_phones_for_a_leader_and_is_recorded(org, api, held):
    entry = _ledger(held)
    PersonalDataAccess.objects.all().delete()
    snap = api(org["users"]["leader"]).get(f"/ledger/{entry.pk}").json()["dossier"]["snapshot"]
    assert snap["customer"]["phones"] == [MASKED]
    assert snap["ticket"]["contact_phone"] == MASKED
    assert snap["ticket"]["elements"]["account_phone"] == MASKED
    assert PHONE not in str(snap)
    [rec] = _records()
    assert (rec.kind, rec.customer_ids, rec.ticket_id) == ("ledger_entry_api", [held.customer_id], held.pk)
    full = api(org["users"]["supervisor"]).get(f"/ledger/{entry.pk}").json()["dossier"]["snapshot"]
    assert full["customer"]["phones"] == ["+8613800138000"]


# -- search -------------------------------------------------------------------------------------


def _found(user, q):
    return [x.pk for x in ticket_list(viewer=user, filters=TicketFilters(q=q)).items]


def test_exact_phone_search_works_for_those_who_see_phones(org, held, make_ticket):
    u = org["users"]
    other = make_ticket(phone=OTHER)
    for who in ("dispatcher", "supervisor", "intake_agent", "handler"):
        assert _found(u[who], PHONE) == [held.pk], who
        assert _found(u[who], "138 0013 8000") == [held.pk], who
    assert _found(u["dispatcher"], OTHER) == [other.pk]


def test_phone_search_is_no_oracle_for_those_who_see_them_masked(org, held):
    u = org["users"]
    assert _found(u["leader"], PHONE) == []
    assert _found(u["leader"], "8000") == []
    assert _found(u["network_handler"], PHONE) == []  # it only assists
    assert _found(u["leader"], held.number) == [held.pk]  # the number still finds it


# -- the log itself -------------------------------------------------------------------------------


def test_a_customers_accesses_are_found_by_id_and_the_admin_is_read_only(org, client, django_user_model):
    u = org["users"]
    admin_client = client
    admin_client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "x-Secret-123"))
    access_record(actor=u["leader"], kind="ticket_page", customer_ids=[5, 57])
    access_record(actor=u["leader"], kind="ticket_page", customer_ids=[570])
    assert [r.customer_ids for r in customer_accesses(customer_id=57)] == [[5, 57]]
    assert customer_accesses(customer_id=7).count() == 0
    assert access_record(actor=u["leader"], kind="ticket_page", customer_ids=[]) is None
    assert admin.site.is_registered(PersonalDataAccess)
    base = "admin:audit_personaldataaccess"
    assert admin_client.get(reverse(f"{base}_changelist"), {"q": "57"}).status_code == 200
    assert admin_client.get(reverse(f"{base}_add")).status_code == 403
    rec = PersonalDataAccess.objects.first()
    assert admin_client.post(reverse(f"{base}_delete", args=[rec.pk]), {"post": "yes"}).status_code == 403
    assert PersonalDataAccess.objects.count() == 2


def test_a_customer_lookup_by_phone_is_recorded_without_the_number(client, org, make_ticket):
    u = org["users"]
    ticket = make_ticket()
    PersonalDataAccess.objects.all().delete()
    client.force_login(u["intake_agent"])
    url = reverse("workbench:register_phone")
    assert client.get(url, {"field": "phone", "phone": PHONE}).status_code == 200
    assert client.get(url, {"field": "phone", "phone": OTHER}).status_code == 200  # nobody: no record
    [rec] = _records()
    assert (rec.kind, rec.customer_ids, rec.actor) == ("customer_lookup", [ticket.customer_id], u["intake_agent"])
    assert PHONE not in rec.path
