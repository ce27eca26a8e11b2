"""The demo: organisation, logins, token, and a ticket history made by the real services."""

import io
import re
import statistics
from types import SimpleNamespace

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import RequestFactory, override_settings
from django.utils import timezone

from complaintdesk.accounts.models import ApiToken, User
from complaintdesk.audit.selectors import chain_breaks
from complaintdesk.customers.models import CustomerPhone
from complaintdesk.demo import catalogue as cat
from complaintdesk.demo.loader import DEMO_PASSWORD, INTEGRATION_USERNAME
from complaintdesk.demo.setup import demo_prepare
from complaintdesk.org.models import OrgUnit
from complaintdesk.taxonomy.models import Category
from complaintdesk.taxonomy.selectors import category_chain, owning_department_id
from complaintdesk.tickets.models import Ticket, TicketEvent
from complaintdesk.tickets.vocabulary import OPEN_STATES, State

TICKETS = 120
FULL_KINDS = ("complaint", "grievance", "fault")
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One demo load for the module, rolled back afterwards (other modules expect no data)."""
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=hashers),
        transaction.atomic(),
    ):
        out = io.StringIO()
        info = demo_prepare(tickets=TICKETS, out=out)
        yield SimpleNamespace(info=info, out=out.getvalue(), now=timezone.now())
        transaction.set_rollback(True)


def test_tickets_are_loaded_and_reported(demo):
    assert Ticket.objects.count() == TICKETS
    assert "Demo loaded in" in demo.out


def test_every_state_of_the_full_path_appears(demo):
    states = set(Ticket.objects.filter(kind__in=FULL_KINDS).values_list("state", flat=True))
    assert states == {s.value for s in State}


def test_the_other_paths_and_endings_appear(demo):
    assert Ticket.objects.filter(kind="inquiry", resolution="on_spot").exists()
    assert Ticket.objects.filter(kind="complaint", resolution="invalid").exists()
    leads = Ticket.objects.filter(kind="sales_lead").select_related("org_unit")
    assert leads.exists()
    sales_lead_of_city = {s.sales_lead_for: s.username for s in cat.STAFF if s.sales_lead_for}
    routed = 0
    for ticket in leads:
        for event in ticket.events.filter(type="dispatched"):
            city = next(a.code for a in ticket.org_unit.get_ancestors() if a.level == "city")
            assert event.payload["assignee"] == sales_lead_of_city[city], ticket.number
            routed += 1
    assert routed


def test_the_mix_looks_like_a_real_desk(demo):
    tickets = list(Ticket.objects.values("kind", "channel", "customer_id", "requires_approval", "special"))
    kinds = [t["kind"] for t in tickets]
    assert max(set(kinds), key=kinds.count) == "complaint"
    assert len({t["channel"] for t in tickets}) >= 5
    customers = [t["customer_id"] for t in tickets]
    assert len(set(customers)) < len(customers), "some customers come back"
    assert any(t["requires_approval"] for t in tickets)
    for event_type in ("plan_approved", "handled", "audit_approved", "called_back", "archived",
                       "reviewed_invalid", "resolved_on_spot"):
        assert TicketEvent.objects.filter(type=event_type).exists(), event_type


def test_recent_tickets_are_the_open_ones(demo):
    now = demo.now
    ages = {
        state: [(now - at).total_seconds() for at in
                Ticket.objects.filter(state__in=states).values_list("created_at", flat=True)]
        for state, states in (("open", OPEN_STATES), ("archived", [State.ARCHIVED]))
    }
    assert statistics.median(ages["open"]) < statistics.median(ages["archived"])
    oldest = min(Ticket.objects.values_list("created_at", flat=True))
    assert (now - oldest).days > 90, "the history spans months"


def test_every_event_log_is_complete_and_in_order(demo):
    now = demo.now
    tickets = {t.pk: t for t in Ticket.objects.all()}
    logs: dict[int, list] = {}
    for event in TicketEvent.objects.order_by("ticket_id", "id"):
        logs.setdefault(event.ticket_id, []).append(event)
    assert set(logs) == set(tickets)
    for pk, events in logs.items():
        ticket = tickets[pk]
        assert events[0].type == "registered" and events[0].from_state == "", ticket.number
        assert events[0].created_at == ticket.created_at
        assert events[-1].to_state == ticket.state, ticket.number
        assert events[-1].created_at == ticket.updated_at
        for before, after in zip(events, events[1:], strict=False):
            assert before.created_at <= after.created_at, ticket.number
            assert after.from_state == before.to_state, ticket.number
        assert events[-1].created_at <= now, ticket.number
        assert ticket.first_reported_at <= ticket.created_at
    # Every event went through the one event writer: the hash chains verify (audit/chain.py).
    assert list(chain_breaks()) == []


def test_customers_have_valid_mobile_numbers_and_leaf_org_units(demo):
    numbers = list(CustomerPhone.objects.values_list("number", flat=True))
    assert numbers and all(re.fullmatch(r"\+861[3-9]\d{9}", n) for n in numbers)
    leaf_units = set(OrgUnit.objects.filter(numchild=0).values_list("pk", flat=True))
    for ticket in Ticket.objects.select_related("customer"):
        assert ticket.org_unit_id in leaf_units
        assert ticket.customer.org_unit_id == ticket.org_unit_id


def test_every_category_dispatches_to_a_staffed_department(demo):
    """Default dispatch must reach a department whose staff can acknowledge."""
    for category in Category.objects.filter(numchild=0):
        department_id = owning_department_id(category_chain(category))
        roles = set(User.objects.filter(department_id=department_id).values_list("role", flat=True))
        assert {"handler", "dept_head"} <= roles, category.code


def test_every_demo_login_works_with_the_demo_password(demo):
    info = demo.info
    assert info.password == DEMO_PASSWORD
    expected = [(s.username, s.role, s.display_name) for s in cat.STAFF if s.username != INTEGRATION_USERNAME]
    assert info.logins == expected
    for username, role, _name in info.logins:
        # With a request, as every sign-in has one: the sign-in throttle (django-axes) needs it.
        user = authenticate(RequestFactory().post("/login/"), username=username, password=info.password)
        assert user is not None and user.role == role, username
        assert user.is_staff == user.is_superuser == (role == "admin"), username
    integration = User.objects.get(username=INTEGRATION_USERNAME)
    assert not integration.has_usable_password()


def test_demo_prepare_again_adds_nothing_and_renews_the_token(demo, client):
    def counts():
        return [m.objects.count() for m in (OrgUnit, User, Category, Ticket, TicketEvent, CustomerPhone)]

    before = counts()
    out = io.StringIO()
    again = demo_prepare(tickets=TICKETS, out=out)
    assert counts() == before
    assert "nothing loaded" in out.getvalue()
    assert again.token and again.token != demo.info.token
    assert again.logins == demo.info.logins
    assert ApiToken.objects.filter(name="demo", revoked_at__isnull=True).count() == 1
    r = client.get("/api/v1/tickets", HTTP_AUTHORIZATION=f"Bearer {again.token}")
    assert r.status_code == 200, r.content
    assert r.json()["items"]
    r = client.get("/api/v1/tickets", HTTP_AUTHORIZATION=f"Bearer {demo.info.token}")
    assert r.status_code == 401


def test_load_demo_refuses_a_database_with_data(demo):
    with pytest.raises(CommandError, match="already holds an organisation"):
        call_command("load_demo", "--tickets", "5", stdout=io.StringIO())


def test_the_demo_tickets_have_clocks_from_the_demo_policies(demo):
    from complaintdesk.demo import policies as demo_policies
    from complaintdesk.sla.models import TicketClock

    names = {p.name for p in demo_policies.POLICIES}
    clocks = list(TicketClock.objects.select_related("ticket"))
    assert clocks
    assert {c.explanation["policy"]["name"] for c in clocks if c.explanation["policy"]} <= names
    for clock in clocks:
        if clock.ticket.state in ("closed", "archived"):
            assert clock.state in ("met", "missed"), (clock.ticket.number, clock.clock)
    dispatched = set(TicketEvent.objects.filter(type="dispatched", ticket__kind="complaint")
                     .values_list("ticket_id", flat=True))
    handled = {c.ticket_id for c in clocks if c.clock == "handle"}
    assert dispatched <= handled
    stopped = [c for c in clocks if c.clock == "handle" and c.state in ("met", "missed")]
    missed = sum(c.state == "missed" for c in stopped)
    assert 0 < missed < len(stopped) / 2, "some handling deadlines are missed, most are met"
