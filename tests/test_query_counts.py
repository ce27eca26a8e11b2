"""Every list and the detail cost a fixed number of queries, whatever their length."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaintdesk.tickets.services import transitions as t

LIST_BUDGET = 10  # the ceiling per list request


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def _dispatched(make_ticket, users, n):
    for _ in range(n):
        ticket = make_ticket()
        t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True)
        t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"])


@pytest.mark.django_db
@pytest.mark.parametrize("who,path", [
    ("dispatcher", "/tickets?limit=50"),
    ("dispatcher", "/tickets?limit=50&category=billing&org_unit=p&state=dispatched,registered&kind=complaint"),
    ("handler", "/tickets?department=billing&open=true&limit=50"),
    ("handler", "/tickets?limit=50"),
    ("admin", "/tickets?limit=50&channel=hotline"),
])
def test_list_queries_do_not_grow(org, api, make_ticket, who, path):
    users = org["users"]
    caller = api(users[who])
    _dispatched(make_ticket, users, 2)
    small = _count(lambda: caller.get(path))
    _dispatched(make_ticket, users, 25)
    large_response = caller.get(path)
    assert len(large_response.json()["items"]) == 27
    large = _count(lambda: caller.get(path))
    assert small == large
    assert large <= LIST_BUDGET


@pytest.mark.django_db
def test_detail_and_timeline_queries_do_not_grow(org, api, make_ticket):
    users = org["users"]
    ticket = make_ticket()
    caller = api(users["dispatcher"])
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"])
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=users["handler"])
    small_detail = _count(lambda: caller.get(f"/tickets/{ticket.pk}"))
    small_timeline = _count(lambda: caller.get(f"/tickets/{ticket.pk}/timeline"))
    t.ticket_co_handle(ticket_id=ticket.pk, actor=users["handler"], departments=["network"])
    for i in range(10):
        t.ticket_urge(ticket_id=ticket.pk, actor=users["supervisor"], note=f"第{i}次催办")
    t.ticket_transfer(ticket_id=ticket.pk, actor=users["dispatcher"], department="network", reason="改派")
    assert _count(lambda: caller.get(f"/tickets/{ticket.pk}")) == small_detail
    assert _count(lambda: caller.get(f"/tickets/{ticket.pk}/timeline")) == small_timeline


@pytest.mark.django_db
def test_keyset_pagination_walks_every_ticket_once(org, api, make_ticket):
    users = org["users"]
    for _ in range(7):
        make_ticket()
    caller = api(users["dispatcher"])
    seen, cursor = [], ""
    while True:
        page = caller.get(f"/tickets?limit=3&cursor={cursor}").json()
        seen += [x["id"] for x in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 7 and seen == sorted(seen, reverse=True)


@pytest.mark.django_db
def test_list_is_scoped(org, api, make_ticket):
    users = org["users"]
    make_ticket()  # owned by the province: invisible to city B and to departments
    make_ticket(org_unit="p-b")
    assert len(api(users["city_b_dispatcher"]).get("/tickets").json()["items"]) == 1
    assert api(users["handler"]).get("/tickets").json()["items"] == []
    assert len(api(users["dispatcher"]).get("/tickets").json()["items"]) == 2
    assert len(api(users["dispatcher"]).get("/tickets?org_unit=p-b").json()["items"]) == 1
