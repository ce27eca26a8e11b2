"""Issue 12 §6: the worklists of those who handle tickets open nearest deadline first; the
centre's keep newest first. A chosen order still wins."""

import datetime as dt

import pytest
from django.utils import timezone

from complaintdesk.sla.models import TicketClock
from complaintdesk.tickets.services import transitions as t

H = dt.timedelta(hours=1)


@pytest.fixture
def login(client):
    def as_(user, lang="en"):
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = lang
        return client
    return as_


def _dispatched(users, make_ticket, title, due_in):
    ticket = make_ticket(title=title)
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"], department="billing")
    TicketClock.objects.filter(ticket=ticket).delete()
    now = timezone.now()
    TicketClock.objects.create(ticket=ticket, clock="handle", cycle=0, state="running",
                               started_at=now - H, due_at=now + due_in)
    return ticket


def _numbers_in_order(html: str, tickets) -> list[str]:
    found = sorted((html.index(x.number), x.number) for x in tickets)
    return [n for _i, n in found]


def test_handling_roles_open_their_lists_nearest_deadline_first(users, make_ticket, login):
    late = _dispatched(users, make_ticket, "晚到期", 30 * H)  # registered first, due last
    soon = _dispatched(users, make_ticket, "早到期", 2 * H)
    middle = _dispatched(users, make_ticket, "中间", 10 * H)
    for who in ("handler", "dept_head"):
        html = login(users[who]).get("/work/to_acknowledge/").content.decode()
        assert _numbers_in_order(html, [late, soon, middle]) == [soon.number, middle.number, late.number], who
        assert '<option value="deadline" selected>' in html
    # The centre: newest first, as before.
    html = login(users["dispatcher"]).get("/work/all/").content.decode()
    assert _numbers_in_order(html, [late, soon, middle]) == [middle.number, soon.number, late.number]
    assert '<option value="-registered" selected>' in html
    # A chosen order wins over the default.
    html = login(users["handler"]).get("/work/to_acknowledge/?sort=-registered").content.decode()
    assert _numbers_in_order(html, [late, soon, middle]) == [middle.number, soon.number, late.number]
