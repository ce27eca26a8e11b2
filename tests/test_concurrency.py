"""Two people acting on one ticket at once, over two real database connections: exactly one
succeeds, the other gets a clear conflict. Also: two concurrent creates with one
Idempotency-Key give one ticket."""

import threading

import pytest
from django.db import close_old_connections, connection

from complaintdesk.core.errors import Conflict
from complaintdesk.tickets.models import Ticket, TicketEvent
from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.services.intake import ticket_register
from tests.conftest import draft


def _race(*calls):
    """Run the calls at the same moment, each in its own thread (own DB connection)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait(timeout=10)
            results[i] = ("ok", fn())
        except Exception as exc:  # collected and asserted by the caller
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
def test_two_dispatchers_dispatch_at_once_one_wins(org, make_ticket):
    u = org["users"]
    ticket = make_ticket()
    t.ticket_review(ticket_id=ticket.pk, actor=u["dispatcher"], valid=True)
    results = _race(
        lambda: t.ticket_dispatch(ticket_id=ticket.pk, actor=u["dispatcher"], department="billing"),
        lambda: t.ticket_dispatch(ticket_id=ticket.pk, actor=u["supervisor"], department="network"),
    )
    outcomes = sorted(r[0] for r in results)
    assert outcomes == ["error", "ok"], results
    error = next(r[1] for r in results if r[0] == "error")
    assert isinstance(error, Conflict) and error.code == "state_conflict"
    assert error.extra["state"] == "dispatched"
    assert TicketEvent.objects.filter(ticket=ticket, type="dispatched").count() == 1
    assert ticket.assignments.filter(active=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_same_version_two_handlers_one_wins(org, make_ticket):
    """Urge-like actions stay legal in the same state; the version check still lets only one
    of two people who opened the same version act."""
    u = org["users"]
    ticket = make_ticket()
    t.ticket_review(ticket_id=ticket.pk, actor=u["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=u["dispatcher"])
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=u["handler"])
    version = Ticket.objects.get(pk=ticket.pk).version
    results = _race(
        lambda: t.ticket_co_handle(ticket_id=ticket.pk, actor=u["handler"], departments=["network"], expected_version=version),
        lambda: t.ticket_co_handle(ticket_id=ticket.pk, actor=u["dept_head"], departments=["network"], expected_version=version),
    )
    assert sorted(r[0] for r in results) == ["error", "ok"], results
    error = next(r[1] for r in results if r[0] == "error")
    assert isinstance(error, Conflict) and error.code == "version_conflict"
    assert ticket.assignments.filter(role="assisting").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_idempotent_create_gives_one_ticket(org):
    agent = org["users"]["intake_agent"]
    results = _race(*[
        (lambda: ticket_register(actor=agent, draft=draft(), idempotency_key="retry-1"))
        for _ in range(3)
    ])
    assert all(r[0] == "ok" for r in results), results
    ids = {r[1][0].pk for r in results}
    assert len(ids) == 1
    assert sorted(r[1][1] for r in results) == [False, False, True]
    assert Ticket.objects.count() == 1
