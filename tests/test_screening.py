"""Issue 9 §2 and §4: source tiers, repeat and over-the-head complaints, flags, special
complainants (phrases, types, the special-case path), over the API and the services."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaintdesk.notifications.models import Message
from complaintdesk.screening.models import RepeatRule, SpecialCaseLeader, SpecialPhrase
from complaintdesk.screening.services.repeats import repeat_find
from complaintdesk.screening.services.rules import repeat_rule_for, screening_rules_changed
from complaintdesk.sla.models import LedgerEntry
from complaintdesk.taxonomy.models import Category
from complaintdesk.tickets.models import Ticket, TicketEvent
from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.services.intake import ticket_register
from tests.conftest import draft

CREATE = {
    "kind": "complaint",
    "category": "billing-overcharge",
    "channel": "hotline",
    "title": "话费多扣",
    "description": "十月份话费多扣了58元，我没有订购过视频彩铃，要求退还。",
    "customer": {"name": "张三", "phone": "138 0013 8000"},
    "elements": {"account_phone": "13800138000", "month": "2026-10-01", "amount": "58"},
}


def body(**overrides):
    data = {**CREATE, **overrides}
    return data


def fields_of(response) -> set[str]:
    return {f["field"].rsplit(".", 1)[-1] for f in response.json()["error"].get("fields", [])}


# -- source tier ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_source_tier_over_the_api(org, api):
    agent = api(org["users"]["intake_agent"])
    r = agent.post("/tickets", body())
    assert r.status_code == 201, r.content
    t1 = r.json()
    assert t1["source_tier"] == "direct" and t1["regulator_ref"] == "" and t1["regulator_due_at"] is None
    assert t1["repeat_of"] is None and t1["flags"] == []

    due = (timezone.now() + dt.timedelta(days=15)).isoformat()
    r = agent.post("/tickets", body(channel="regulator_transfer", source_tier="12300", regulator_ref="GXB-2026-0042",
                                    regulator_due_at=due, customer={"phone": "139 0013 9000"}))
    assert r.status_code == 201, r.content
    t2 = r.json()
    assert t2["source_tier"] == "12300" and t2["regulator_ref"] == "GXB-2026-0042"
    assert t2["regulator_due_at"] is not None
    # Media and upper-level transfers imply their tier.
    r = agent.post("/tickets", body(channel="media", customer={"phone": "13700137000"}))
    assert r.json()["source_tier"] == "media"


@pytest.mark.django_db
@pytest.mark.parametrize("overrides, field", [
    ({"source_tier": "12399"}, "source_tier"),  # unknown tier
    ({"channel": "regulator_transfer"}, "source_tier"),  # a transfer must name its body
    ({"channel": "media", "source_tier": "direct"}, "source_tier"),
    ({"source_tier": "12315", "regulator_due_at": "2001-01-01T00:00:00+08:00"}, "regulator_due_at"),
    ({"source_tier": "12315", "regulator_due_at": "2099-01-01T00:00:00+08:00"}, "regulator_due_at"),
    ({"source_tier": "12315", "regulator_due_at": "9999-12-31T23:59:59-14:00"}, "regulator_due_at"),
    ({"regulator_ref": "X-1"}, "regulator_ref"),  # a direct ticket has no regulator
    ({"source_tier": "12315", "regulator_ref": "bad\u0007ref"}, "regulator_ref"),
    ({"customer": {"phone": "+86 (138) 0013-80"}}, "phone"),  # a phone in a strange format
    ({"customer": {"phone": "138.0013.800"}}, "phone"),
])
def test_bad_source_input_is_a_clear_422(org, api, overrides, field):
    r = api(org["users"]["intake_agent"]).post("/tickets", body(**overrides))
    assert r.status_code == 422, r.content
    assert field in fields_of(r), r.json()
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_regulator_deadline_not_a_date_is_422(org, api):
    r = api(org["users"]["intake_agent"]).post("/tickets", body(source_tier="12315", regulator_due_at="next friday"))
    assert r.status_code == 422


@pytest.mark.django_db
def test_set_source_later_with_event_and_version(org, api, make_ticket):
    ticket = make_ticket()
    agent = api(org["users"]["intake_agent"])
    r = agent.post(f"/tickets/{ticket.pk}/source", {"source_tier": "12345", "regulator_ref": "RX-9", "version": 1})
    assert r.status_code == 200, r.content
    assert r.json()["source_tier"] == "12345" and r.json()["version"] == 2
    assert TicketEvent.objects.filter(ticket=ticket, type="source_set").exists()
    stale = agent.post(f"/tickets/{ticket.pk}/source", {"source_tier": "12315", "version": 1})
    assert stale.status_code == 409
    bad = agent.post(f"/tickets/{ticket.pk}/source", {"source_tier": "nope", "version": 2})
    assert bad.status_code == 422 and "source_tier" in fields_of(bad)


# -- repeat complaints ---------------------------------------------------------------------

@pytest.mark.django_db
def test_repeat_is_linked_flagged_routed_and_the_owner_told(org, api, make_ticket):
    u = org["users"]
    first = make_ticket(actor=u["dispatcher"])
    t.ticket_review(ticket_id=first.pk, actor=u["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=first.pk, actor=u["dispatcher"], department="network")
    # Same customer, same top-level matter (another leaf under "billing"), another agent.
    r = api(u["intake_agent"]).post("/tickets", body(category="billing-refund", elements={"account_phone": "13800138000"}))
    assert r.status_code == 201, r.content
    second = r.json()
    assert second["repeat_of"] == first.number
    assert second["flags"] == ["repeat"]
    row = Ticket.objects.get(pk=second["id"])
    assert row.routed_department == org["network"]  # where the first one is handled
    first.refresh_from_db()
    assert first.repeat_count == 1
    told = Message.objects.get(template="repeat_registered")
    assert told.recipient_user == u["dispatcher"] and first.number in told.body
    # The dispatch goes where the first ticket was handled, not to the category's owner.
    t.ticket_review(ticket_id=row.pk, actor=u["dispatcher"], valid=True)
    done = t.ticket_dispatch(ticket_id=row.pk, actor=u["dispatcher"])
    assert done.lead_department == org["network"]
    # The list filter.
    listed = api(u["admin"]).get("/tickets?flag=repeat").json()["items"]
    assert [x["id"] for x in listed] == [row.pk] and listed[0]["repeat_of"] == first.number
    bad = api(u["admin"]).get("/tickets?flag=repeated")
    assert bad.status_code == 422 and "flag" in fields_of(bad)


@pytest.mark.django_db
def test_a_third_ticket_links_to_the_first_of_the_chain(org, make_ticket):
    first = make_ticket()
    second = make_ticket()
    third = make_ticket()
    assert second.repeat_of_id == first.pk and third.repeat_of_id == first.pk
    first.refresh_from_db()
    assert first.repeat_count == 2


@pytest.mark.django_db
def test_not_a_repeat_other_matter_other_customer_outside_the_window(org, make_ticket, users):
    first = make_ticket()
    other_matter = make_ticket(category="network-weak", elements={})
    other_customer = make_ticket(phone="13900139000")
    assert other_matter.repeat_of_id is None and other_customer.repeat_of_id is None
    # Registered 31 days after the first: outside the default 30-day window.
    late, _ = ticket_register(actor=users["intake_agent"], draft=draft(),
                              at=first.created_at + dt.timedelta(days=31))
    assert late.repeat_of_id is None


@pytest.mark.django_db
def test_closed_first_ticket_counts_and_rule_level_and_window_apply(org, make_ticket, users):
    first, _ = ticket_register(actor=users["intake_agent"], draft=draft(), resolve_on_spot="已当场解释")
    assert first.state == "closed"
    # The level-2 rule: only the same leaf (billing-overcharge) is the same matter.
    RepeatRule.objects.update_or_create(kind="complaint", defaults={"category_level": 2, "window_days": 60})
    screening_rules_changed()
    other_leaf = make_ticket(category="billing-refund", elements={"account_phone": "13800138000"})
    assert other_leaf.repeat_of_id is None
    same_leaf, _ = ticket_register(actor=users["intake_agent"], draft=draft(),
                                   at=first.created_at + dt.timedelta(days=45))
    assert same_leaf.repeat_of_id == first.pk


@pytest.mark.django_db
def test_repeat_lookup_is_one_query(org, make_ticket):
    first = make_ticket()
    make_ticket()
    rule = repeat_rule_for("complaint")
    with CaptureQueriesContext(connection) as ctx:
        found = repeat_find(customer_id=first.customer_id, category_path=first.category.path,
                            steplen=Category.steplen, source_tier="12315", rule=rule, at=timezone.now())
    assert len(ctx.captured_queries) == 1
    assert found.first_id == first.pk and found.over_the_head


@pytest.mark.django_db
def test_rules_are_cached_and_refreshed(org, make_ticket, django_assert_num_queries):
    repeat_rule_for("complaint")
    with django_assert_num_queries(0):
        repeat_rule_for("complaint")
    RepeatRule.objects.update_or_create(kind="complaint", defaults={"active": False})
    screening_rules_changed()
    assert repeat_rule_for("complaint") is None
    first = make_ticket()
    assert make_ticket().repeat_of_id is None and first.repeat_count == 0


@pytest.mark.django_db
def test_unlink_with_reason_version_and_event(org, api, make_ticket):
    u = org["users"]
    first = make_ticket()
    second = make_ticket()
    dispatcher = api(u["dispatcher"])
    detail = dispatcher.get(f"/tickets/{second.pk}").json()
    assert "unlink_repeat" in detail["allowed_actions"]
    assert "unlink_repeat" not in dispatcher.get(f"/tickets/{first.pk}").json()["allowed_actions"]
    no_reason = dispatcher.post(f"/tickets/{second.pk}/unlink-repeat", {"reason": " ", "version": detail["version"]})
    assert no_reason.status_code == 422 and "reason" in fields_of(no_reason)
    stale = dispatcher.post(f"/tickets/{second.pk}/unlink-repeat", {"reason": "另一位家庭成员", "version": 99})
    assert stale.status_code == 409
    r = dispatcher.post(f"/tickets/{second.pk}/unlink-repeat", {"reason": "另一位家庭成员", "version": detail["version"]})
    assert r.status_code == 200, r.content
    assert r.json()["repeat_of"] is None and r.json()["flags"] == []
    event = TicketEvent.objects.get(ticket=second, type="repeat_unlinked")
    assert event.payload["reason"] == "另一位家庭成员" and event.payload["repeat_of"] == first.number
    first.refresh_from_db()
    assert first.repeat_count == 0
    # Once unlinked, the action is gone.
    again = dispatcher.post(f"/tickets/{second.pk}/unlink-repeat", {"reason": "x", "version": r.json()["version"]})
    assert again.status_code == 403
    # An intake agent may not unlink.
    third = make_ticket()
    assert api(u["intake_agent"]).post(f"/tickets/{third.pk}/unlink-repeat", {"reason": "x"}).status_code == 403


# -- over the head ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_over_the_head_flagged_raised_told_and_in_the_ledger(org, api, make_ticket):
    u = org["users"]
    first = make_ticket()
    r = api(u["intake_agent"]).post("/tickets", body(channel="regulator_transfer", source_tier="12315",
                                                     regulator_ref="SJ-1"))
    assert r.status_code == 201, r.content
    t2 = r.json()
    assert t2["repeat_of"] == first.number
    assert t2["flags"] == ["repeat", "over_the_head"]
    assert t2["severity"] == "complex"  # general, raised one step by the default rule
    entry = LedgerEntry.objects.get(ticket_id=t2["id"])
    assert entry.reason == "over_the_head" and entry.clock is None
    told = Message.objects.filter(template="over_the_head_registered")
    assert {m.recipient_user for m in told} == {u["supervisor"]}
    assert api(u["admin"]).get("/tickets?flag=over_the_head").json()["items"][0]["id"] == t2["id"]
    # The ledger API shows the entry without a clock.
    ledger = api(u["admin"]).get("/ledger").json()["items"]
    assert ledger[0]["reason"] == "over_the_head" and ledger[0]["clock"] is None


@pytest.mark.django_db
def test_higher_tier_without_a_direct_ticket_is_only_a_repeat(org, make_ticket):
    make_ticket(channel="media")
    second = make_ticket(channel="regulator_transfer", source_tier="12345")
    assert second.repeat_of_id is not None and not second.over_the_head


@pytest.mark.django_db
def test_severity_floor_of_the_rule(org, make_ticket):
    RepeatRule.objects.update_or_create(kind="", defaults={"over_the_head_raise": 0,
                                                           "over_the_head_min_severity": "major"})
    screening_rules_changed()
    make_ticket()
    second = make_ticket(channel="media")
    assert second.over_the_head and second.severity == "major" and second.requires_approval


# -- special complainants ------------------------------------------------------------------

@pytest.mark.django_db
def test_special_phrase_marks_the_ticket(org, api):
    r = api(org["users"]["intake_agent"]).post("/tickets", body(
        description="再不处理我就找记者曝光，还要向工信部投诉。"))
    assert r.status_code == 201, r.content
    t1 = r.json()
    assert t1["special"] and "special" in t1["flags"] and t1["requires_approval"]
    assert [m["phrase"] for m in t1["special_matches"]] == ["记者", "曝光", "工信部"]
    assert {m["meaning"] for m in t1["special_matches"]} == {"journalist", "media", "regulator"}


@pytest.mark.django_db
def test_phrases_edited_take_effect(org, make_ticket):
    assert not make_ticket(description="我要投诉到总部").special
    SpecialPhrase.objects.create(phrase="总部", meaning="regulator")
    screening_rules_changed()
    ticket = make_ticket(phone="13900139000", description="我要投诉到总部")
    assert ticket.special and ticket.special_matches == [{"phrase": "总部", "meaning": "regulator"}]
    SpecialPhrase.objects.filter(phrase="LAWYER").delete()
    SpecialPhrase.objects.create(phrase="LAWYER", meaning="lawyer")
    screening_rules_changed()
    assert make_ticket(phone="13700137000", title="My lawyer will call").special


@pytest.mark.django_db
def test_special_type_history_and_leader_sign_off(org, api, make_ticket, users):
    ticket = make_ticket()
    dispatcher = api(users["dispatcher"])
    r = dispatcher.post(f"/tickets/{ticket.pk}/special-type", {"special_type": "nope", "version": 1})
    assert r.status_code == 422 and "special_type" in fields_of(r)
    r = dispatcher.post(f"/tickets/{ticket.pk}/special-type", {"special_type": "publicity", "version": 1})
    assert r.status_code == 200, r.content
    assert r.json()["special"] and r.json()["special_type"] == "publicity" and r.json()["requires_approval"]
    # Every later step is reported upward (the leader and the supervisor; not the actor).
    version = r.json()["version"]
    bad = dispatcher.post(f"/tickets/{ticket.pk}/history", {"checked": ["earlier_tickets"], "people": "张三", "version": version})
    assert bad.status_code == 422 and "checked" in fields_of(bad)
    r = dispatcher.post(f"/tickets/{ticket.pk}/history", {
        "checked": ["earlier_tickets", "people_involved", "contact_history", "commitments"],
        "people": "张三；营业员李四", "version": version})
    assert r.status_code == 200, r.content
    assert r.json()["history_gathered_at"] is not None
    event = TicketEvent.objects.get(ticket=ticket, type="history_gathered")
    assert event.payload["on_time"] is True
    steps = Message.objects.filter(template="special_case_step")
    assert {m.recipient_user for m in steps} == {users["supervisor"], users["leader"]}

    # The plan is signed off by the leader configured for the unit, no other.
    other_leader = type(users["leader"]).objects.create_user(
        username="leader2", password="pw-for-tests-1", role="leader", org_unit=org["province"])
    SpecialCaseLeader.objects.create(org_unit=org["province"], leader=users["leader"])
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"])
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=users["handler"])
    t.ticket_submit_plan(ticket_id=ticket.pk, actor=users["handler"], plan="退还58元并致歉")
    refused = api(other_leader).post(f"/tickets/{ticket.pk}/plan-decision", {"approve": True})
    assert refused.status_code == 403
    ok = api(users["leader"]).post(f"/tickets/{ticket.pk}/plan-decision", {"approve": True})
    assert ok.status_code == 200, ok.content


@pytest.mark.django_db
def test_history_check_only_for_special_cases(org, api, make_ticket, users):
    ticket = make_ticket()
    assert "gather_history" not in api(users["dispatcher"]).get(f"/tickets/{ticket.pk}").json()["allowed_actions"]
    r = api(users["dispatcher"]).post(f"/tickets/{ticket.pk}/history", {
        "checked": ["earlier_tickets", "people_involved", "contact_history", "commitments"], "people": "x"})
    assert r.status_code == 403


@pytest.mark.django_db
def test_openapi_documents_the_new_fields(client):
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    assert "/api/v1/tickets/{ticket_id}/unlink-repeat" in paths
    assert "/api/v1/tickets/{ticket_id}/source" in paths
    assert any(p["name"] == "flag" for p in paths["/api/v1/tickets"]["get"]["parameters"])
    detail = spec["components"]["schemas"]["TicketDetailOut"]["properties"]
    for name in ("source_tier", "regulator_ref", "repeat_of", "flags", "regulator_due_at", "special_matches"):
        assert name in detail


@pytest.mark.django_db
def test_source_tier_set_in_the_admin(org, client, make_ticket):
    from django.urls import reverse

    admin_user = org["users"]["admin"]
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    ticket = make_ticket()
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    page = client.get(url).content.decode()
    # What the browser sends back: the hidden inputs (the inlines' management forms, the version).
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    assert hidden["expected_version"] == "1"
    bad = client.post(url, {**hidden, "source_tier": "12315", "regulator_due_at_0": "1999-01-01",
                            "regulator_due_at_1": "10:00"})
    assert bad.status_code == 200 and "regulator" in bad.content.decode()
    r = client.post(url, {**hidden, "source_tier": "12315", "regulator_ref": "SC-88", "regulator_due_at_0": "",
                          "regulator_due_at_1": ""})
    assert r.status_code == 302, r.content.decode()[:3000]
    ticket.refresh_from_db()
    assert (ticket.source_tier, ticket.regulator_ref, ticket.version) == ("12315", "SC-88", 2)
    assert TicketEvent.objects.filter(ticket=ticket, type="source_set", actor=admin_user).exists()


@pytest.mark.django_db
def test_incident_flag_once_the_ticket_is_in_an_incident(org, api, make_ticket, users):
    from complaintdesk.incidents.services.incidents import incident_create

    lead = make_ticket()
    other = make_ticket(phone="13900139000")
    incident_create(actor=users["supervisor"], lead_ticket_id=lead.pk, title="计费系统故障")
    admin = api(users["admin"])
    assert "incident" in admin.get(f"/tickets/{lead.pk}").json()["flags"]
    assert "incident" not in admin.get(f"/tickets/{other.pk}").json()["flags"]
    listed = admin.get("/tickets?flag=incident").json()["items"]
    assert [x["id"] for x in listed] == [lead.pk] and "incident" in listed[0]["flags"]
