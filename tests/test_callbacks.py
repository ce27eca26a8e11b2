"""Callbacks as agents make them (issue 12 §3): attempts with outcomes, the time to call again,
the ticket closed as "callback failed" after the last allowed failed call, topics and notes,
the callback worklist's order, the dashboard's count, and two agents at once."""

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from complaintdesk.core.errors import Conflict, Forbidden, ValidationFailed
from complaintdesk.reports.selectors import dashboard_get
from complaintdesk.tickets.models import Ticket, TicketEvent
from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.vocabulary import Kind, State
from complaintdesk.tickets.workflow import TicketFacts, callback_gives_up
from complaintdesk.workbench.callbacks import callback_rows

H = dt.timedelta(hours=1)


def awaiting_callback(users, ticket):
    tid = ticket.pk
    t.ticket_review(ticket_id=tid, actor=users["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=tid, actor=users["dispatcher"])
    t.ticket_acknowledge(ticket_id=tid, actor=users["handler"])
    t.ticket_handle(ticket_id=tid, actor=users["handler"], notes="已核实并退费", cause="service")
    t.ticket_audit(ticket_id=tid, actor=users["dispatcher"], approve=True)
    t.ticket_reply(ticket_id=tid, actor=users["intake_agent"], text="已退费")
    return Ticket.objects.get(pk=tid)


def test_the_give_up_rule_is_pure():
    facts = TicketFacts(kind=Kind.COMPLAINT, state=State.AWAITING_CALLBACK, callback_attempts=1,
                        callback_max_attempts=3)
    assert not callback_gives_up(facts, "no_answer")
    assert not callback_gives_up(facts, "call_again")
    assert callback_gives_up(facts, "refused")  # the customer declines: no more calls
    last = TicketFacts(kind=Kind.COMPLAINT, state=State.AWAITING_CALLBACK, callback_attempts=2,
                       callback_max_attempts=3)
    assert callback_gives_up(last, "switched_off") and callback_gives_up(last, "wrong_number")
    assert not callback_gives_up(last, "call_again")


@pytest.mark.django_db
def test_failed_attempts_reschedule_then_the_last_closes_as_callback_failed(org, make_ticket, settings):
    settings.CALLBACK_MAX_ATTEMPTS = 3
    settings.CALLBACK_RETRY_MINUTES = 90
    users = org["users"]
    ticket = awaiting_callback(users, make_ticket())
    now = timezone.now().replace(microsecond=0)
    agent = users["intake_agent"]

    after = t.ticket_callback_attempt(ticket_id=ticket.pk, actor=agent, outcome="no_answer",
                                      topics=["case_result"], note="无人接听", at=now)
    assert after.state == State.AWAITING_CALLBACK and after.callback_attempts == 1
    assert after.callback_due_at == now + dt.timedelta(minutes=90)  # no time asked for: the retry delay

    asked = now + 26 * H
    after = t.ticket_callback_attempt(ticket_id=ticket.pk, actor=agent, outcome="call_again",
                                      call_again_at=asked, at=now + H)
    assert after.callback_attempts == 1  # reached: not a failure
    assert after.callback_due_at == asked

    after = t.ticket_callback_attempt(ticket_id=ticket.pk, actor=agent, outcome="switched_off", at=now + 27 * H)
    assert (after.state, after.callback_attempts) == (State.AWAITING_CALLBACK, 2)

    closed = t.ticket_callback_attempt(ticket_id=ticket.pk, actor=agent, outcome="no_answer", at=now + 30 * H)
    assert closed.state == State.CLOSED and closed.resolution == "callback_failed"
    assert closed.callback_attempts == 3 and closed.callback_due_at is None and closed.closed_at == now + 30 * H

    events = list(TicketEvent.objects.filter(ticket=ticket, type="callback_attempted").order_by("id"))
    assert [e.payload["outcome"] for e in events] == ["no_answer", "call_again", "switched_off", "no_answer"]
    assert [e.payload["attempt"] for e in events] == [1, 1, 2, 3]
    assert events[0].payload["topics"] == ["case_result"] and events[0].payload["note"] == "无人接听"
    assert events[1].payload["call_again_at"] == asked.astimezone(dt.UTC).isoformat()
    assert [e.payload["gives_up"] for e in events] == [False, False, False, True]
    assert events[-1].to_state == "closed" and events[-1].payload["call_again_at"] is None
    # Nothing more to attempt on a closed ticket.
    with pytest.raises(Conflict):
        t.ticket_callback_attempt(ticket_id=ticket.pk, actor=agent, outcome="no_answer")


@pytest.mark.django_db
def test_a_refusal_closes_at_once_and_a_lowered_limit_is_a_guard(org, make_ticket, settings):
    users = org["users"]
    agent = users["intake_agent"]
    refused = awaiting_callback(users, make_ticket())
    closed = t.ticket_callback_attempt(ticket_id=refused.pk, actor=agent, outcome="refused")
    assert closed.state == State.CLOSED and closed.resolution == "callback_failed"

    settings.CALLBACK_MAX_ATTEMPTS = 5
    other = awaiting_callback(users, make_ticket())
    for _ in range(2):
        t.ticket_callback_attempt(ticket_id=other.pk, actor=agent, outcome="no_answer")
    settings.CALLBACK_MAX_ATTEMPTS = 2  # lowered meanwhile: the attempts are used up
    with pytest.raises(Forbidden) as exc:
        t.ticket_callback_attempt(ticket_id=other.pk, actor=agent, outcome="no_answer")
    assert exc.value.code == "refused_callback_attempts_used"
    # ... and the ticket can still be closed without a callback.
    assert t.ticket_close(ticket_id=other.pk, actor=users["dispatcher"], reason="联系不上").state == State.CLOSED


@pytest.mark.django_db
@pytest.mark.parametrize("kwargs,field", [
    ({"outcome": ""}, "outcome"),
    ({"outcome": "answered"}, "outcome"),  # that is the callback with the satisfaction
    ({"outcome": "busy"}, "outcome"),
    ({"outcome": "call_again"}, "call_again_at"),
    ({"outcome": "no_answer", "call_again_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}, "call_again_at"),
    ({"outcome": "no_answer", "call_again_at": dt.datetime(2199, 1, 1, tzinfo=dt.UTC)}, "call_again_at"),
    ({"outcome": "no_answer", "topics": ["weather"]}, "topics"),
    ({"outcome": "no_answer", "note": "x" * 2001}, "note"),
])
def test_bad_attempts_name_the_field_and_change_nothing(org, make_ticket, kwargs, field):
    users = org["users"]
    ticket = awaiting_callback(users, make_ticket())
    with pytest.raises(ValidationFailed) as exc:
        t.ticket_callback_attempt(ticket_id=ticket.pk, actor=users["intake_agent"], **kwargs)
    assert [f.field for f in exc.value.fields] == [field]
    again = Ticket.objects.get(pk=ticket.pk)
    assert (again.version, again.callback_attempts) == (ticket.version, 0)
    assert not TicketEvent.objects.filter(ticket=ticket, type="callback_attempted").exists()


@pytest.mark.django_db
def test_who_may_attempt(org, make_ticket):
    users = org["users"]
    ticket = awaiting_callback(users, make_ticket())
    with pytest.raises(Forbidden):
        t.ticket_callback_attempt(ticket_id=ticket.pk, actor=users["leader"], outcome="no_answer")
    # Not yet replied: no callback at all.
    fresh = make_ticket()
    with pytest.raises(Conflict):
        t.ticket_callback_attempt(ticket_id=fresh.pk, actor=users["intake_agent"], outcome="no_answer")


@pytest.mark.django_db
def test_the_callback_records_topics_and_ends_the_round(org, make_ticket):
    users = org["users"]
    agent = users["intake_agent"]
    ticket = awaiting_callback(users, make_ticket())
    t.ticket_callback_attempt(ticket_id=ticket.pk, actor=agent, outcome="no_answer")
    # Dissatisfied: the case is reopened; its next callback round starts from zero.
    reopened = t.ticket_callback(ticket_id=ticket.pk, actor=agent, satisfaction="dissatisfied",
                                 topics=["renewal", "opinion"])
    assert reopened.state == State.AWAITING_DISPATCH
    assert (reopened.callback_attempts, reopened.callback_due_at) == (0, None)
    event = TicketEvent.objects.filter(ticket=ticket, type="called_back").get()
    assert event.payload["outcome"] == "answered" and event.payload["attempt"] == 2
    assert event.payload["topics"] == ["opinion", "renewal"]  # the vocabulary's order
    with pytest.raises(ValidationFailed):
        t.ticket_callback(ticket_id=ticket.pk, actor=agent, satisfaction="satisfied", topics=["nope"])


@pytest.mark.django_db
def test_callback_worklist_orders_by_the_time_to_call_again_at_fixed_queries(org, make_ticket):
    users = org["users"]
    agent = users["intake_agent"]
    now = timezone.now()
    first = awaiting_callback(users, make_ticket(title="一"))
    later = awaiting_callback(users, make_ticket(title="二"))
    soon = awaiting_callback(users, make_ticket(title="三"))
    t.ticket_callback_attempt(ticket_id=later.pk, actor=agent, outcome="call_again", call_again_at=now + 48 * H)
    t.ticket_callback_attempt(ticket_id=soon.pk, actor=agent, outcome="no_answer", call_again_at=now + 2 * H)
    with translation.override("en"):
        rows, more = callback_rows(viewer=agent)
    assert [r.id for r in rows] == [first.pk, soon.pk, later.pk] and not more
    assert rows[0].due and not rows[0].scheduled and rows[0].last_outcome == ""
    assert rows[1].attempts == 1 and rows[1].last_outcome == "No answer" and not rows[1].due
    assert "*" in rows[0].phone  # a list masks numbers

    def count():
        with CaptureQueriesContext(connection) as ctx:
            callback_rows(viewer=agent)
        return len(ctx.captured_queries)

    small = count()
    for _ in range(4):
        ticket = awaiting_callback(users, make_ticket())
        t.ticket_callback_attempt(ticket_id=ticket.pk, actor=agent, outcome="wrong_number")
    assert count() == small
    # Outside the viewer's scope: not listed; a role that makes no callbacks has no list.
    assert callback_rows(viewer=users["city_b_dispatcher"])[0] == []


@pytest.mark.django_db
def test_callback_worklist_page(org, make_ticket, client):
    users = org["users"]
    ticket = awaiting_callback(users, make_ticket())
    t.ticket_callback_attempt(ticket_id=ticket.pk, actor=users["intake_agent"], outcome="switched_off")
    client.force_login(users["intake_agent"])
    r = client.get("/callbacks/tickets/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200
    html = r.content.decode()
    assert ticket.number in html and "关机" in html
    client.force_login(users["handler"])
    assert client.get("/callbacks/tickets/").status_code == 404


@pytest.mark.django_db
def test_ticket_page_records_an_attempt(org, make_ticket, client):
    users = org["users"]
    ticket = awaiting_callback(users, make_ticket())
    client.force_login(users["intake_agent"])
    page = client.get(f"/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'action="/tickets/{ticket.pk}/callback-attempt/"' in page and "Phone switched off" in page
    r = client.post(f"/tickets/{ticket.pk}/callback-attempt/", {
        "callback-attempt-expected_version": ticket.version, "callback-attempt-outcome": "call_again",
        "callback-attempt-call_again_at": "", "callback-attempt-note": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422 and "Give the time the customer asked to be called at." in r.content.decode()
    when = timezone.localtime(timezone.now() + 3 * H).strftime("%Y-%m-%dT%H:%M")
    r = client.post(f"/tickets/{ticket.pk}/callback-attempt/", {
        "callback-attempt-expected_version": ticket.version, "callback-attempt-outcome": "call_again",
        "callback-attempt-call_again_at": when, "callback-attempt-topics": ["renewal"]})
    assert r.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).callback_due_at is not None


@pytest.mark.django_db
def test_dashboard_counts_callback_failed(org, make_ticket):
    users = org["users"]
    agent = users["intake_agent"]
    failed = awaiting_callback(users, make_ticket())
    t.ticket_callback_attempt(ticket_id=failed.pk, actor=agent, outcome="refused")
    ok = awaiting_callback(users, make_ticket())
    t.ticket_callback_attempt(ticket_id=ok.pk, actor=agent, outcome="no_answer")  # not closed: not counted
    t.ticket_callback(ticket_id=ok.pk, actor=agent, satisfaction="satisfied")
    for viewer in (users["supervisor"], users["dept_head"]):  # without and with the scope's join
        board = dashboard_get(viewer=viewer)
        assert (board.callbacks, board.callbacks_failed) == (1, 1), viewer
        assert {f.value: f.count for f in board.satisfaction}["satisfied"] == 1


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait(timeout=10)
            results[i] = ("ok", fn())
        except Exception as exc:  # collected and asserted below
            results[i] = ("error", exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_agents_record_an_attempt_at_once(org, make_ticket, settings):
    """Both opened the page at the same version: one attempt is recorded, the other agent is
    told the ticket changed. Without a version (the API may omit it) both are recorded, one
    after the other under the row lock: two attempts, two events, the count right."""
    settings.CALLBACK_MAX_ATTEMPTS = 5
    users = org["users"]
    ticket = awaiting_callback(users, make_ticket())
    v = ticket.version
    results = _race(
        lambda: t.ticket_callback_attempt(ticket_id=ticket.pk, actor=users["intake_agent"], outcome="no_answer",
                                          expected_version=v),
        lambda: t.ticket_callback_attempt(ticket_id=ticket.pk, actor=users["dispatcher"], outcome="switched_off",
                                          expected_version=v),
    )
    assert sorted(r[0] for r in results) == ["error", "ok"], results
    error = next(r[1] for r in results if r[0] == "error")
    assert isinstance(error, Conflict) and error.code == "version_conflict"
    assert Ticket.objects.get(pk=ticket.pk).callback_attempts == 1
    assert TicketEvent.objects.filter(ticket=ticket, type="callback_attempted").count() == 1

    results = _race(
        lambda: t.ticket_callback_attempt(ticket_id=ticket.pk, actor=users["intake_agent"], outcome="no_answer"),
        lambda: t.ticket_callback_attempt(ticket_id=ticket.pk, actor=users["dispatcher"], outcome="no_answer"),
    )
    assert [r[0] for r in results] == ["ok", "ok"], results
    assert Ticket.objects.get(pk=ticket.pk).callback_attempts == 3
    attempts = sorted(TicketEvent.objects.filter(ticket=ticket, type="callback_attempted")
                      .values_list("payload__attempt", flat=True))
    assert attempts == [1, 2, 3]


@pytest.mark.django_db
def test_callback_attempt_api(org, make_ticket, api):
    users = org["users"]
    ticket = awaiting_callback(users, make_ticket())
    caller = api(users["intake_agent"])
    r = caller.post(f"/tickets/{ticket.pk}/callback-attempt", {"outcome": "call_again", "version": ticket.version})
    assert r.status_code == 422, r.content
    assert "call_again_at" in r.content.decode()
    when = (timezone.now() + 4 * H).isoformat()
    r = caller.post(f"/tickets/{ticket.pk}/callback-attempt",
                    {"outcome": "call_again", "call_again_at": when, "topics": ["renewal"], "version": ticket.version})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == "awaiting_callback" and body["callback_attempts"] == 0 and body["callback_due_at"]
    r = caller.post(f"/tickets/{ticket.pk}/callback-attempt", {"outcome": "busy"})
    assert r.status_code == 422
    r = caller.post(f"/tickets/{ticket.pk}/callback-attempt", {"outcome": "refused"})
    assert r.status_code == 200 and r.json()["resolution"] == "callback_failed"
