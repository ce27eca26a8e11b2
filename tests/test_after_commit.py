"""Answers after a commit (issue 13 §3): when the write is committed and reading the result
back fails, the answer says what was committed, never "nothing was changed"; a retry
without an Idempotency-Key does not make a second ticket silently. Each read-back is made
to fail after a real commit by patching the selector it calls."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.urls import reverse

from complaintdesk.core.errors import NotFound
from complaintdesk.portal.models import PortalTicket
from complaintdesk.tickets import schemas as ticket_schemas
from complaintdesk.tickets import selectors as ticket_selectors
from complaintdesk.tickets.models import Attachment, IdempotencyKey, Ticket
from complaintdesk.workbench import selectors as workbench_selectors
from tests.test_api_flow import CREATE
from tests.test_portal import PHONE, form, lookup

RETRY_GUARD_PREFIX = "retry-guard:"  # tickets/services/intake.py


def _fail(*args, **kwargs):
    raise OperationalError("the database went away")


def _committed(r, status, ticket):
    assert r.status_code == status, r.content
    body = r.json()
    assert body["committed"] is True
    assert (body["id"], body["number"], body["state"], body["version"]) == (
        ticket.pk, ticket.number, ticket.state, ticket.version)
    assert body["url"] == f"/api/v1/tickets/{ticket.pk}" == r["Location"]
    assert "nothing was changed" not in r.content.decode()
    ticket_schemas.CommittedOut.model_validate(body)  # the shape the OpenAPI document declares
    return body


def test_the_openapi_document_declares_the_committed_answer():
    from complaintdesk.config.api import api

    doc = api.get_openapi_schema()
    declared = [doc["paths"]["/api/v1/tickets"]["post"]["responses"][201],
                doc["paths"]["/api/v1/tickets/{ticket_id}/review"]["post"]["responses"][200]]
    for response in declared:
        refs = [x["$ref"] for x in response["content"]["application/json"]["schema"]["anyOf"]]
        assert refs == ["#/components/schemas/TicketDetailOut", "#/components/schemas/CommittedOut"]


# -- the API --------------------------------------------------------------------------------

def test_create_answers_what_was_committed_when_the_read_back_fails(org, api, monkeypatch):
    caller = api(org["users"]["intake_agent"], lang="en")
    monkeypatch.setattr(ticket_selectors, "ticket_get", _fail)
    r = caller.post("/tickets", CREATE, HTTP_IDEMPOTENCY_KEY="cti-1")
    ticket = Ticket.objects.get()
    body = _committed(r, 201, ticket)
    assert "could not be read back" in body["message"]
    # The same retried with its key: the first ticket, still without a second one.
    again = caller.post("/tickets", CREATE, HTTP_IDEMPOTENCY_KEY="cti-1")
    _committed(again, 200, ticket)
    assert Ticket.objects.count() == 1


def test_the_committed_answer_is_in_the_callers_language(org, api, monkeypatch):
    monkeypatch.setattr(ticket_selectors, "ticket_get", _fail)
    r = api(org["users"]["intake_agent"], lang="zh-hans").post("/tickets", CREATE)
    body = _committed(r, 201, Ticket.objects.get())
    assert "已保存" in body["message"] and body["state_label"] == "已受理，待复核"


@pytest.mark.parametrize("failure", ["not_found", "bad_output"])
def test_any_failure_after_the_commit_is_answered_as_committed(org, api, monkeypatch, failure):
    """A read-back that refuses (the viewer no longer sees it) or an answer that fails its own
    validation: both after the commit, both answered with what was written."""
    if failure == "not_found":
        def refuse(**kwargs):
            raise NotFound("gone")
        monkeypatch.setattr(ticket_selectors, "ticket_get", refuse)
    else:
        monkeypatch.setattr(ticket_schemas, "detail", lambda d: {"id": "not a ticket"})
    r = api(org["users"]["intake_agent"]).post("/tickets", CREATE)
    _committed(r, 201, Ticket.objects.get())


def test_an_action_answers_what_was_committed_when_the_read_back_fails(org, api, make_ticket, monkeypatch):
    ticket = make_ticket()
    monkeypatch.setattr(ticket_selectors, "ticket_get", _fail)
    r = api(org["users"]["dispatcher"]).post(f"/tickets/{ticket.pk}/review", {"valid": True, "version": 1})
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_dispatch" and ticket.version == 2
    _committed(r, 200, ticket)
    # Nothing committed: the usual refusal, not a "committed" answer.
    stale = api(org["users"]["dispatcher"]).post(f"/tickets/{ticket.pk}/review", {"valid": True, "version": 1})
    assert stale.status_code == 409 and "committed" not in stale.json()


def test_a_failure_before_the_commit_still_says_nothing_changed(org, api, monkeypatch):
    from complaintdesk.tickets.services import intake

    monkeypatch.setattr(intake, "clocks_on_event", _fail)
    r = api(org["users"]["intake_agent"]).post("/tickets", CREATE)
    assert r.status_code == 500 and r.json()["error"]["code"] == "server_error"
    assert Ticket.objects.count() == 0


# -- a retry without a key -------------------------------------------------------------------

def test_a_retry_without_a_key_is_refused_naming_the_first_ticket(org, api):
    caller = api(org["users"]["intake_agent"])
    first = caller.post("/tickets", CREATE)
    assert first.status_code == 201
    again = caller.post("/tickets", CREATE)
    assert again.status_code == 409, again.content
    error = again.json()["error"]
    assert error["code"] == "duplicate_request"
    assert error["ticket"]["id"] == first.json()["id"] and error["ticket"]["number"] in error["message"]
    assert Ticket.objects.count() == 1
    # Another body, or another account, or a key: a new ticket, as asked.
    assert caller.post("/tickets", {**CREATE, "title": "另一件事"}).status_code == 201
    assert api(org["users"]["dispatcher"]).post("/tickets", CREATE).status_code == 201
    assert caller.post("/tickets", CREATE, HTTP_IDEMPOTENCY_KEY="deliberate-2").status_code == 201
    assert Ticket.objects.count() == 4


def test_the_same_body_after_the_window_is_a_new_ticket(org, api):
    caller = api(org["users"]["intake_agent"])
    first = caller.post("/tickets", CREATE).json()["id"]
    guard = IdempotencyKey.objects.get(key__startswith=RETRY_GUARD_PREFIX)
    IdempotencyKey.objects.filter(pk=guard.pk).update(created_at=guard.created_at - dt.timedelta(minutes=11))
    second = caller.post("/tickets", CREATE)
    assert second.status_code == 201 and second.json()["id"] != first
    # The guard follows the newest ticket: a retry now names the second one.
    again = caller.post("/tickets", CREATE)
    assert again.status_code == 409 and again.json()["error"]["ticket"]["id"] == second.json()["id"]
    assert IdempotencyKey.objects.filter(key__startswith=RETRY_GUARD_PREFIX).count() == 1


# -- the workbench ---------------------------------------------------------------------------

@pytest.fixture
def staff(client):
    def login(user):
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client
    return login


def test_workbench_action_answers_what_was_committed(org, make_ticket, staff, monkeypatch):
    ticket = make_ticket()
    client = staff(org["users"]["dispatcher"])
    real = workbench_selectors.ticket_page
    calls = []

    def page_then_fail(**kwargs):  # the page the form is checked against, then the read-back
        calls.append(1)
        return real(**kwargs) if len(calls) % 2 else _fail()

    monkeypatch.setattr(workbench_selectors, "ticket_page", page_then_fail)
    url = reverse("workbench:ticket_action", args=[ticket.pk, "review-valid"])
    # htmx: the page cannot be read back to swap in; a notice says what was done.
    r = client.post(url, {"review-valid-expected_version": 1}, HTTP_HX_REQUEST="true")
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_dispatch"
    assert r.status_code == 200, r.content[:500]
    html = r.content.decode()
    assert "Done: " in html and ticket.number in html and "version 2" in html
    # Without htmx: a redirect to the ticket, nothing read back.
    r = client.post(reverse("workbench:ticket_action", args=[ticket.pk, "dispatch"]),
                    {"dispatch-expected_version": 2})
    ticket.refresh_from_db()
    assert ticket.state == "dispatched"
    assert r.status_code == 302 and r.url == reverse("workbench:ticket", args=[ticket.pk])


def test_workbench_registration_stands_when_an_attachment_fails(org, staff, monkeypatch):
    from complaintdesk.workbench.views import register

    client = staff(org["users"]["intake_agent"])
    monkeypatch.setattr(register.attachment_services, "attachment_add", lambda **kw: _fail())
    data = {
        "kind": "complaint", "category": "billing-overcharge", "channel": "hotline", "severity": "",
        "title": "话费多扣", "description": "十月份话费多扣了58元。", "customer_name": "张三",
        "phone": "13800138000", "contact_phone": "", "product": "", "resolve_on_spot": "",
        "idempotency_key": "form-1", "el_account_phone": "13800138000", "el_month": "2026-10-01",
        "el_amount": "58", "el_channel_of_order": "",
        "attachments": [SimpleUploadedFile("note.txt", "录音摘要".encode())],
    }
    r = client.post("/tickets/new/", data)
    ticket = Ticket.objects.get()
    assert r.status_code == 302 and r.url == reverse("workbench:ticket", args=[ticket.pk])
    monkeypatch.undo()
    page = client.get(r.url).content.decode()
    assert f"Ticket {ticket.number} registered" in page
    assert "Not attached: note.txt" in page
    # The same form sent again (the user did not trust the answer): still one ticket.
    data["attachments"] = [SimpleUploadedFile("note.txt", "录音摘要".encode())]
    assert client.post("/tickets/new/", data).status_code == 302
    assert Ticket.objects.count() == 1 and Attachment.objects.count() == 0


# -- the portal ------------------------------------------------------------------------------

def test_portal_filing_shows_the_code_when_the_counter_fails_after_the_commit(client, org, monkeypatch):
    from complaintdesk.portal import views

    real = views.rate_hit

    def counter(*, name, subject):
        if name == "file_phone":  # counted only after the ticket is committed
            _fail()
        return real(name=name, subject=subject)

    monkeypatch.setattr(views, "rate_hit", counter)
    data = form()
    r = client.post("/portal/file/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200, r.content.decode()[:2000]
    code = re.search(r'id="tracking-code">([^<]+)<', r.content.decode()).group(1)
    ticket = Ticket.objects.get(pk=PortalTicket.objects.get().ticket_id)
    assert ticket.number in r.content.decode()
    monkeypatch.undo()
    assert lookup(client, code, PHONE).status_code == 302
    # The same form sent again (no answer seen): its check question is used, no second ticket.
    again = client.post("/portal/file/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 422 and "already sent" in again.content.decode()
    assert Ticket.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_unkeyed_twins_give_one_ticket(org):
    """A client that times out and retries while the first request still runs: over two real
    connections, one ticket and one refusal naming it."""
    from complaintdesk.tickets.services.intake import DuplicateRequest, ticket_register
    from tests.conftest import draft
    from tests.test_concurrency import _race

    agent = org["users"]["intake_agent"]
    results = _race(*[lambda: ticket_register(actor=agent, draft=draft(), retry_guard=True)] * 2)
    assert sorted(r[0] for r in results) == ["error", "ok"], results
    ticket = next(r[1][0] for r in results if r[0] == "ok")
    error = next(r[1] for r in results if r[0] == "error")
    assert isinstance(error, DuplicateRequest) and error.extra["ticket"]["id"] == ticket.pk
    assert Ticket.objects.count() == 1
