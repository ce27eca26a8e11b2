"""The Django admin: configuration is editable, tickets are inspection-only (but for their
source tier, corrected through the service)."""

import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaintdesk.accounts.models import ApiToken, User, hash_token
from complaintdesk.customers.models import Customer
from complaintdesk.org.models import Department, OrgUnit
from complaintdesk.taxonomy.models import Category
from complaintdesk.tickets.models import Assignment, Attachment, Ticket, TicketEvent

OUR_APPS = {"org", "accounts", "customers", "taxonomy", "tickets"}
READ_ONLY = {Ticket, TicketEvent, Attachment}  # inspection only: no add page


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def world(db):
    unit = OrgUnit.add_root(code="gd", name="广东", name_en="Guangdong", level="province")
    dept = Department.objects.create(org_unit=unit, code="svc", name="客服中心", is_centre=True)
    staff = User.objects.create_user(
        username="agent", password="x-Secret-123", org_unit=unit, department=dept
    )
    customer = Customer.objects.create(name="张三", org_unit=unit)
    category = Category.add_root(kind="complaint", code="billing", name="计费")
    return {"unit": unit, "dept": dept, "staff": staff, "customer": customer, "category": category}


def _make_tickets(world, start, count):
    now = timezone.now()
    for i in range(start, start + count):
        Ticket.objects.create(
            number=f"T{i:06d}", kind="complaint", category=world["category"], channel="hotline",
            title=f"Bill wrong {i}", description="Charged twice", customer=world["customer"],
            org_unit=world["unit"], owner=world["staff"], lead_department=world["dept"],
            first_reported_at=now, created_at=now, updated_at=now,
        )


def test_every_model_of_ours_is_registered():
    registered = {m for m in admin.site._registry if m._meta.app_label in OUR_APPS}
    names = {m._meta.label for m in registered}
    assert names >= {
        "org.OrgUnit", "org.Department", "accounts.User", "accounts.ApiToken",
        "customers.Customer", "taxonomy.Category", "tickets.Ticket", "tickets.TicketEvent",
        "tickets.Attachment",
    }


@pytest.mark.django_db
def test_changelist_and_add_page_of_every_model(admin_client, world):
    _make_tickets(world, 0, 1)
    for model in admin.site._registry:
        if model._meta.app_label not in OUR_APPS:
            continue
        assert admin_client.get(_url(model, "changelist")).status_code == 200, model
        add = admin_client.get(_url(model, "add"))
        assert add.status_code == (403 if model in READ_ONLY else 200), model


@pytest.mark.django_db
def test_creating_a_token_shows_the_raw_token_once_and_stores_only_its_hash(admin_client, world):
    response = admin_client.post(
        _url(ApiToken, "add"), {"name": "CTI bridge", "user": world["staff"].pk}, follow=True
    )
    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    shown = [m for t in texts for m in re.findall(r"cd_[A-Za-z0-9_-]{20,}", t)]
    assert len(shown) == 1
    raw = shown[0]
    assert response.content.decode().count(raw) == 1

    token = ApiToken.objects.get()
    assert token.user == world["staff"]
    assert token.key_hash == hash_token(raw)
    assert token.prefix == raw[:8]
    stored = [str(v) for v in ApiToken.objects.values_list().get()]
    assert raw not in stored

    # Never again: not on the list, not on the token's own page.
    assert raw not in admin_client.get(_url(ApiToken, "changelist")).content.decode()
    assert raw not in admin_client.get(_url(ApiToken, "change", token.pk)).content.decode()


def _category_post(parent, kind, code, elements=()):
    data = {
        "kind": kind, "code": code, "name": "重复扣费", "name_en": "Double charge",
        "owning_department": "", "default_severity": "", "active": "on",
        "_position": "sorted-child", "_ref_node_id": str(parent.pk),
        "elements-TOTAL_FORMS": str(len(elements)), "elements-INITIAL_FORMS": "0",
        "elements-MIN_NUM_FORMS": "0", "elements-MAX_NUM_FORMS": "1000",
    }
    for i, element in enumerate(elements):
        data.update({f"elements-{i}-{k}": v for k, v in element.items()})
    return data


@pytest.mark.django_db
def test_tree_admin_adds_a_child_category_with_required_elements(admin_client, world):
    root = world["category"]
    element = {
        "key": "amount", "label": "金额", "label_en": "Amount", "type": "amount",
        "choices": "[]", "required": "on", "position": "1",
    }
    response = admin_client.post(
        _url(Category, "add"), _category_post(root, "complaint", "double-charge", [element])
    )
    assert response.status_code == 302, response.context and response.context["adminform"].errors

    child = Category.objects.get(code="double-charge")
    assert child.get_parent() == root
    assert [(e.key, e.type, e.required) for e in child.elements.all()] == [("amount", "amount", True)]
    assert admin_client.get(_url(Category, "change", child.pk)).status_code == 200


@pytest.mark.django_db
def test_a_child_category_must_have_its_parents_kind(admin_client, world):
    response = admin_client.post(
        _url(Category, "add"), _category_post(world["category"], "fault", "no-signal")
    )
    assert response.status_code == 200
    assert not Category.objects.filter(code="no-signal").exists()


@pytest.mark.django_db
def test_ticket_changelist_query_count_does_not_grow_with_rows(admin_client, world):
    url = _url(Ticket, "changelist")
    _make_tickets(world, 0, 2)
    admin_client.get(url)  # warm up session / content types
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    _make_tickets(world, 2, 10)
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("T0000") == 12
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


@pytest.mark.django_db
def test_tickets_and_events_are_read_only(admin_client, world):
    _make_tickets(world, 0, 1)
    ticket = Ticket.objects.get()
    now = timezone.now()
    Assignment.objects.create(
        ticket=ticket, department=world["dept"], role="lead", dispatched_at=now,
        dispatched_by=world["staff"],
    )
    event = TicketEvent.objects.create(ticket=ticket, type="registered", created_at=now)

    page = admin_client.get(_url(Ticket, "change", ticket.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "T000000" in html and "Bill wrong 0" in html
    # Only the source (issue 9 §2) is edited here, through the service; the rest is read-only.
    assert 'name="title"' not in html and 'name="source_tier"' in html
    assert admin_client.post(_url(Ticket, "change", ticket.pk), {"title": "x"}).status_code == 200  # refused
    assert admin_client.post(_url(TicketEvent, "change", event.pk), {}).status_code == 403
    for model, obj in ((Ticket, ticket), (TicketEvent, event)):
        assert admin_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert Ticket.objects.filter(title="Bill wrong 0").exists()
    assert TicketEvent.objects.filter(pk=event.pk).exists()
