"""Bad input gets one JSON error shape naming the field and the reason, in the caller's
language, and never a 500."""

import io

import pytest

from tests.test_api_flow import CREATE


def _fields(response):
    return {f["field"]: f for f in response.json()["error"]["fields"]}


@pytest.mark.django_db
def test_wrong_phone_is_named_in_english_and_chinese(org, api):
    body = {**CREATE, "customer": {"name": "张三", "phone": "1380013800"}}
    r = api(org["users"]["intake_agent"], lang="en").post("/tickets", body)
    assert r.status_code == 422
    assert "valid mobile number" in _fields(r)["phone"]["reason"]
    r = api(org["users"]["intake_agent"], lang="zh-hans").post("/tickets", body)
    assert r.status_code == 422
    assert "手机号" in _fields(r)["phone"]["reason"], r.json()


@pytest.mark.django_db
def test_missing_required_elements_all_named(org, api):
    r = api(org["users"]["intake_agent"]).post("/tickets", {**CREATE, "elements": {"amount": "abc"}})
    assert r.status_code == 422
    fields = _fields(r)
    assert fields["elements.account_phone"]["code"] == "required"
    assert fields["elements.month"]["code"] == "required"
    assert "amount" in fields["elements.amount"]["reason"]


@pytest.mark.django_db
def test_unknown_category_and_kind_mismatch(org, api):
    caller = api(org["users"]["intake_agent"])
    assert "category" in _fields(caller.post("/tickets", {**CREATE, "category": "nope"}))
    r = caller.post("/tickets", {**CREATE, "kind": "inquiry"})
    assert "another ticket kind" in _fields(r)["category"]["reason"]
    r = caller.post("/tickets", {**CREATE, "category": "billing"})
    assert "leaf" in _fields(r)["category"]["reason"]


@pytest.mark.django_db
@pytest.mark.parametrize("body", [
    b"{not json", b"[]", b'"text"', b"null", b'{"kind": 5}', b'{"kind": "complaint", "customer": []}',
    b'{"kind":"complaint","category":"billing-overcharge","channel":"hotline","title":"x","description":"y","customer":{"phone":"13800138000"},"elements":[1]}',
    b'{"kind":"complaint","category":"billing-overcharge","channel":"fax","title":"x","description":"y","customer":{"phone":"13800138000"}}',
    b'{"kind":"complaint","category":"billing-overcharge","channel":"hotline","title":"x","description":"y","customer":{"phone":"13800138000"},"first_reported_at":"yesterday"}',
    ("{\"kind\":\"complaint\",\"category\":\"billing-overcharge\",\"channel\":\"hotline\",\"title\":\"" + "x" * 300 + "\",\"description\":\"y\",\"customer\":{\"phone\":\"13800138000\"}}").encode(),
    b'{"kind":"complaint","category":"billing-overcharge","channel":"hotline","title":"x","description":"y","customer":{"phone":"\\u0000"}}',
])
def test_malformed_bodies_are_4xx_with_the_shape(org, client, token_for, body):
    r = client.post("/api/v1/tickets", data=body, content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {token_for(org['users']['intake_agent'])}")
    assert 400 <= r.status_code < 500, r.content
    error = r.json()["error"]
    assert error["code"] and error["message"]
    assert isinstance(error["fields"], list)


@pytest.mark.django_db
@pytest.mark.parametrize("path", [
    "/tickets?limit=abc", "/tickets?cursor=%%%", "/tickets?cursor=dGFi", "/tickets?registered_from=soon",
    "/tickets?category=nope", "/tickets?department=nope", "/tickets?org_unit=nope", "/tickets/999999",
    "/tickets/abc", "/tickets/1/timeline", "/attachments/999",
    "/tickets?registered_from=0001-01-01T00:00:00%2B14:00", "/tickets?registered_to=9999-12-31T23:59:59-12:00",
    "/tickets?registered_from=0001-01-01T00:00:00", "/tickets?cursor=dDk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",
])
def test_malformed_queries_are_4xx(org, api, path):
    r = api(org["users"]["dispatcher"]).get(path)
    assert 400 <= r.status_code < 500, (path, r.content)
    assert r.json()["error"]["code"]


@pytest.mark.django_db
def test_nul_characters_are_refused_everywhere(org, api, make_ticket):
    """PostgreSQL cannot store NUL in text: found by the fuzzer as a 500 on PostgreSQL."""
    caller = api(org["users"]["dispatcher"])
    ticket = make_ticket()
    r = caller.post("/tickets", {**CREATE, "title": "a\x00b"})
    assert r.status_code == 422 and _fields(r)["title"]["reason"] == "Text must not contain NUL characters."
    r = caller.post("/tickets", {**CREATE, "elements": {**CREATE["elements"], "x\x00": "1"}})
    assert r.status_code == 422
    assert caller.get("/tickets?category=%00").status_code == 422
    assert caller.post(f"/tickets/{ticket.pk}/co-handle", {"departments": ["\x00"]}).status_code == 422
    from complaintdesk.core.errors import ValidationFailed
    from complaintdesk.tickets.services import transitions as t

    with pytest.raises(ValidationFailed):
        t.ticket_review(ticket_id=ticket.pk, actor=org["users"]["dispatcher"], valid=False, reason="x\x00", answer="y")


@pytest.mark.django_db
def test_odd_time_zone_offsets_are_read_as_utc(org, api):
    """Python accepts +22:31, PostgreSQL does not: found by the fuzzer as a 500."""
    r = api(org["users"]["dispatcher"]).get("/tickets?registered_from=2026-01-01T00:00:00%2B22:31")
    assert r.status_code == 200, r.content


@pytest.mark.django_db
def test_unauthenticated_and_bad_token(org, client):
    r = client.get("/api/v1/tickets")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    r = client.get("/api/v1/tickets", HTTP_AUTHORIZATION="Bearer cd_wrong")
    assert r.status_code == 401


@pytest.mark.django_db
def test_session_auth_requires_csrf(org, client):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(org["users"]["intake_agent"])
    assert csrf_client.get("/api/v1/tickets").status_code == 200
    r = csrf_client.post("/api/v1/tickets", data=CREATE, content_type="application/json")
    assert r.status_code in (401, 403)


@pytest.mark.django_db
def test_idempotent_create(org, api):
    caller = api(org["users"]["intake_agent"])
    first = caller.post("/tickets", CREATE, HTTP_IDEMPOTENCY_KEY="abc-1")
    again = caller.post("/tickets", CREATE, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    other = caller.post("/tickets", {**CREATE, "title": "另一件事"}, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert other.status_code == 422 and _fields(other)["Idempotency-Key"]["code"] == "idempotency_key_reused"
    assert caller.post("/tickets", CREATE).json()["id"] != first.json()["id"]


@pytest.mark.django_db
def test_stale_version_is_a_conflict_with_fresh_state(org, api):
    u = org["users"]
    tid = api(u["intake_agent"]).post("/tickets", CREATE).json()["id"]
    d = api(u["dispatcher"])
    v = d.get(f"/tickets/{tid}").json()["version"]
    assert d.post(f"/tickets/{tid}/review", {"valid": True, "version": v}).status_code == 200
    r = api(u["supervisor"]).post(f"/tickets/{tid}/review", {"valid": False, "reason": "x", "answer": "y", "version": v})
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "version_conflict" and err["state"] == "awaiting_dispatch" and err["version"] == v + 1


@pytest.mark.django_db
def test_refusals_by_role_and_scope(org, api):
    u = org["users"]
    tid = api(u["intake_agent"]).post("/tickets", CREATE).json()["id"]
    r = api(u["intake_agent"]).post(f"/tickets/{tid}/review", {"valid": True})
    assert r.status_code == 403 and r.json()["error"]["code"] == "refused_role"
    # A dispatcher of another city does not see a province-level ticket.
    assert api(u["city_b_dispatcher"]).get(f"/tickets/{tid}").status_code == 404
    d = api(u["dispatcher"])
    d.post(f"/tickets/{tid}/review", {"valid": True})
    d.post(f"/tickets/{tid}/dispatch", {})
    # Another department neither sees nor acts on it.
    assert api(u["network_handler"]).post(f"/tickets/{tid}/acknowledge", {}).status_code == 404
    r = d.post(f"/tickets/{tid}/review", {"valid": True})
    assert r.status_code == 409 and r.json()["error"]["code"] == "state_conflict"


@pytest.mark.django_db
def test_attachments_checked_and_scoped(org, api, client, token_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    u = org["users"]
    tid = api(u["intake_agent"]).post("/tickets", CREATE).json()["id"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(u['intake_agent'])}", "HTTP_ACCEPT_LANGUAGE": "en"}
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    f = io.BytesIO(png)
    f.name = "bill.png"
    r = client.post(f"/api/v1/tickets/{tid}/attachments", {"file": f}, **auth)
    assert r.status_code == 201, r.content
    aid = r.json()["id"]
    fake = io.BytesIO(b"MZ this is an exe")
    fake.name = "bill.png"
    r = client.post(f"/api/v1/tickets/{tid}/attachments", {"file": fake}, **auth)
    assert r.status_code == 422 and "does not match" in r.json()["error"]["fields"][0]["reason"]
    exe = io.BytesIO(b"MZ")
    exe.name = "run.exe"
    assert client.post(f"/api/v1/tickets/{tid}/attachments", {"file": exe}, **auth).status_code == 422
    r = client.get(f"/api/v1/attachments/{aid}", **auth)
    assert r.status_code == 200 and b"".join(r.streaming_content) == png
    other = {"HTTP_AUTHORIZATION": f"Bearer {token_for(u['network_handler'])}"}
    assert client.get(f"/api/v1/attachments/{aid}", **other).status_code == 404
    types = [e["type"] for e in api(u["intake_agent"]).get(f"/tickets/{tid}/timeline").json()]
    assert types == ["registered", "attachment_added"]


@pytest.mark.django_db
def test_openapi_document(org, client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    for path in ("/api/v1/tickets", "/api/v1/tickets/{ticket_id}/dispatch", "/api/v1/tickets/{ticket_id}/timeline"):
        assert path in doc["paths"]


@pytest.mark.django_db
def test_healthz(client, monkeypatch):
    assert client.get("/healthz").json()["status"] == "ok"
    from django.db import connection

    def broken():
        raise RuntimeError("database is down")

    monkeypatch.setattr(connection, "cursor", broken)
    r = client.get("/healthz")
    assert r.status_code == 503
