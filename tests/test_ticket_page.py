"""The ticket page: what it shows, only the actions the viewer may take, each form reaching
its service, stale pages, scope, GET never changing anything, and fixed query counts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaintdesk.tickets.facts import actor_facts, ticket_facts
from complaintdesk.tickets.models import Assignment, Ticket, TicketEvent
from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.workflow import allowed_actions


def page_url(ticket):
    return reverse("workbench:ticket", args=[ticket.pk])


def act_url(ticket, slug):
    return reverse("workbench:ticket_action", args=[ticket.pk, slug])


@pytest.fixture
def as_user(client):
    def login(user, lang="en"):
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = lang
        return client
    return login


def shown_actions(html: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z_]+)"', html))


def expected_actions(user, ticket) -> set[str]:
    ticket = Ticket.objects.select_related("org_unit").get(pk=ticket.pk)
    facts = ticket_facts(ticket, list(Assignment.objects.filter(ticket=ticket)))
    return {a.value for a in allowed_actions(actor_facts(user), facts)}


def test_page_renders(org, make_ticket, as_user):
    users = org["users"]
    ticket = make_ticket()
    r = as_user(users["dispatcher"]).get(page_url(ticket))
    assert r.status_code == 200
    html = r.content.decode()
    assert ticket.number in html
    assert shown_actions(html) == expected_actions(users["dispatcher"], ticket)
