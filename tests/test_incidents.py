"""Near-duplicate suggestions (MinHash + LSH bands) and incidents: signatures written at
registration, scoped suggestions, one reply / one close carried to every member through the
one writer, refusals named."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaintdesk.incidents import minhash
from complaintdesk.incidents.models import IncidentMember, SignatureBand, TicketSignature
from complaintdesk.incidents.selectors import similar_open_tickets
from complaintdesk.incidents.services import incidents as inc
from complaintdesk.incidents.services.signatures import signature_write
from complaintdesk.tickets.models import TicketEvent
from complaintdesk.tickets.services import transitions as t

OUTAGE = dict(title="甲市城区4G信号中断无法上网", description="今天上午开始甲市城区手机4G信号中断，无法上网也打不了电话。",
              category="network-weak", elements={})
OUTAGE_2 = dict(title="甲市城区4G信号中断，无法上网", description="今天上午开始甲市城区4G信号中断，手机无法上网，电话也打不了。",
                category="network-weak", elements={})
OTHER = dict(title="话费多扣", description="十月份话费多扣了58元，我没有订购过视频彩铃。")


def to_awaiting_reply(ticket, users):
    d, h = users["dispatcher"], users["network_handler"]
    t.ticket_review(ticket_id=ticket.pk, actor=d, valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=d)
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=h)
    t.ticket_handle(ticket_id=ticket.pk, actor=h, notes="基站故障已修复", cause="network")
    t.ticket_audit(ticket_id=ticket.pk, actor=d, approve=True)


def test_registration_writes_signature_and_bands(make_ticket):
    ticket = make_ticket(**OUTAGE)
    sig = TicketSignature.objects.get(ticket=ticket)
    assert len(bytes(sig.signature)) == minhash.NUM_PERM * 4
    keys = set(SignatureBand.objects.filter(ticket=ticket).values_list("key", flat=True))
    assert keys == set(minhash.band_keys(minhash.from_bytes(sig.signature)))
    assert len(keys) == minhash.BANDS


def test_minhash_estimates_jaccard():
    a = minhash.signature("甲市城区4G信号中断无法上网")
    assert minhash.similarity(a, minhash.signature("甲市城区4G信号中断无法上网")) == 1.0
    assert minhash.similarity(a, minhash.signature("话费多扣了58元没有订购视频彩铃")) < 0.2
    assert minhash.is_empty(minhash.signature("！！ …"))
    assert minhash.similarity(minhash.signature(""), minhash.signature("")) == 0.0


def test_suggestions_find_the_near_duplicate_not_the_other(make_ticket, users):
    outage = make_ticket(**OUTAGE)
    make_ticket(**OTHER)
    found = similar_open_tickets(viewer=users["dispatcher"], **{k: OUTAGE_2[k] for k in ("title", "description")})
    assert [s.ticket.pk for s in found] == [outage.pk]
    assert found[0].similarity >= minhash.SIMILAR_AT
    # The ticket page: the ticket itself is never its own suggestion.
    second = make_ticket(**OUTAGE_2)
    assert [s.ticket.pk for s in similar_open_tickets(viewer=users["dispatcher"], ticket_id=second.pk)] == [outage.pk]


def test_closed_tickets_drop_out(make_ticket, users):
    outage = make_ticket(**OUTAGE)
    t.ticket_review(ticket_id=outage.pk, actor=users["dispatcher"], valid=False, reason="重复", answer="已答复")
    assert similar_open_tickets(viewer=users["dispatcher"], title=OUTAGE_2["title"],
                                description=OUTAGE_2["description"]) == []


def test_a_viewer_never_gets_a_ticket_outside_their_scope(make_ticket, users, org):
    outage = make_ticket(**OUTAGE)  # the province's ticket, not dispatched to anyone
    text = {k: OUTAGE_2[k] for k in ("title", "description")}
    assert similar_open_tickets(viewer=users["city_b_dispatcher"], **text) == []
    assert similar_open_tickets(viewer=users["network_handler"], **text) == []
    assert similar_open_tickets(viewer=users["handler"], **text) == []
    t.ticket_review(ticket_id=outage.pk, actor=users["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=outage.pk, actor=users["dispatcher"])  # to network operations
    assert [s.ticket.pk for s in similar_open_tickets(viewer=users["network_handler"], **text)] == [outage.pk]
    assert similar_open_tickets(viewer=users["handler"], **text) == []  # billing still sees nothing


def test_changed_text_moves_the_bands(make_ticket, users):
    ticket = make_ticket(**OTHER)
    before = set(SignatureBand.objects.filter(ticket=ticket).values_list("key", flat=True))
    assert signature_write(ticket=ticket) is False  # unchanged text: nothing written
    ticket.title, ticket.description = OUTAGE["title"], OUTAGE["description"]
    assert signature_write(ticket=ticket) is True
    after = set(SignatureBand.objects.filter(ticket=ticket).values_list("key", flat=True))
    assert before.isdisjoint(after) and len(after) == minhash.BANDS
    assert [s.ticket.pk for s in similar_open_tickets(viewer=users["dispatcher"], title=OUTAGE_2["title"],
                                                      description=OUTAGE_2["description"])] == [ticket.pk]


@pytest.mark.parametrize("n", [3, 12])
def test_suggestion_lookup_has_a_fixed_number_of_queries(make_ticket, users, n):
    for _ in range(n):
        make_ticket(**OUTAGE)
    viewer = users["city_b_dispatcher"].__class__.objects.select_related("org_unit").get(pk=users["dispatcher"].pk)
    with CaptureQueriesContext(connection) as ctx:
        found = similar_open_tickets(viewer=viewer, title=OUTAGE_2["title"], description=OUTAGE_2["description"],
                                     limit=20)
    assert len(found) == n
    assert len(ctx.captured_queries) == 2


def test_api_suggestions_and_bad_input(make_ticket, api, users):
    outage = make_ticket(**OUTAGE)
    r = api(users["dispatcher"]).post("/similar-tickets", {"title": OUTAGE_2["title"],
                                                           "description": OUTAGE_2["description"]})
    assert r.status_code == 200, r.content
    assert [x["id"] for x in r.json()] == [outage.pk] and r.json()[0]["number"] == outage.number
    assert api(users["city_b_dispatcher"]).post("/similar-tickets", {"title": OUTAGE_2["title"]}).json() == []
    assert api(users["dispatcher"]).post("/similar-tickets", {"title": "x\x00"}).status_code == 422
    assert api(users["dispatcher"]).post("/similar-tickets", {"title": "x" * 201}).status_code == 422
    assert api(users["dispatcher"]).post("/similar-tickets", {"limit": 0}).status_code == 422
    assert api(users["dispatcher"]).post("/similar-tickets", {}).json() == []
    second = make_ticket(**OUTAGE_2)
    r = api(users["dispatcher"]).get(f"/tickets/{second.pk}/similar")
    assert [x["id"] for x in r.json()] == [outage.pk]
    assert api(users["city_b_dispatcher"]).get(f"/tickets/{second.pk}/similar").status_code == 404
    assert api(users["dispatcher"]).get("/tickets/999999/similar").status_code == 404
    assert api(users["dispatcher"]).get(f"/tickets/{second.pk}/similar?limit=abc").status_code == 422


def test_incident_reply_is_carried_to_every_member_and_refusals_are_named(make_ticket, users):
    lead, member, early = make_ticket(**OUTAGE), make_ticket(**OUTAGE_2), make_ticket(**OUTAGE_2)
    to_awaiting_reply(lead, users)
    to_awaiting_reply(member, users)
    agent = users["intake_agent"]
    incident = inc.incident_create(actor=agent, lead_ticket_id=lead.pk)
    assert incident.number.startswith("SG") and incident.title == lead.title
    inc.incident_add_member(actor=agent, incident_id=incident.pk, ticket_id=member.pk, source="suggestion")
    inc.incident_add_member(actor=agent, incident_id=incident.pk, ticket_id=early.pk)
    result = inc.incident_reply(actor=agent, incident_id=incident.pk, text="基站故障已于12:00修复，给您带来不便深表歉意。")
    assert result.done == [lead.number, member.number]
    assert [(r.number, r.code) for r in result.refused] == [(early.number, "state_conflict")]
    assert "registered" in result.refused[0].reason.lower() or "已受理" in result.refused[0].reason
    for ticket in (lead, member):
        event = TicketEvent.objects.filter(ticket=ticket, type="replied").get()
        assert event.payload["incident"] == incident.number and event.actor == agent
    assert not TicketEvent.objects.filter(ticket=early, type="replied").exists()

    # Close carried: the two answered members close, the early one is named again; the
    # incident stays open while a member is.
    refused = inc.incident_close(actor=agent, incident_id=incident.pk, reason="客户无法联系").refused
    assert {r.code for r in refused} == {"refused_role", "state_conflict"}  # an intake agent may not close
    agent = users["dispatcher"]
    result = inc.incident_close(actor=agent, incident_id=incident.pk, reason="客户无法联系")
    assert result.done == [lead.number, member.number] and [r.number for r in result.refused] == [early.number]
    assert result.incident.state == "open"
    inc.incident_remove_member(actor=agent, incident_id=incident.pk, ticket_id=early.pk)
    result = inc.incident_close(actor=agent, incident_id=incident.pk, reason="客户无法联系")
    assert result.done == [] and result.incident.state == "closed"


def test_incident_membership_rules(make_ticket, users):
    from complaintdesk.core.errors import Conflict, Forbidden, NotFound, ValidationFailed

    agent = users["intake_agent"]
    lead, other = make_ticket(**OUTAGE), make_ticket(**OUTAGE_2)
    with pytest.raises(Forbidden):
        inc.incident_create(actor=users["handler"], lead_ticket_id=lead.pk)
    with pytest.raises(ValidationFailed):
        inc.incident_create(actor=users["city_b_dispatcher"], lead_ticket_id=lead.pk)  # out of scope
    incident = inc.incident_create(actor=agent, lead_ticket_id=lead.pk, title="甲市城区断网")
    with pytest.raises(ValidationFailed) as err:
        inc.incident_create(actor=agent, lead_ticket_id=lead.pk)
    assert err.value.fields[0].code == "already_member"
    inc.incident_add_member(actor=agent, incident_id=incident.pk, ticket_id=other.pk)
    with pytest.raises(ValidationFailed):
        inc.incident_add_member(actor=agent, incident_id=incident.pk, ticket_id=other.pk)
    with pytest.raises(ValidationFailed):
        inc.incident_remove_member(actor=agent, incident_id=incident.pk, ticket_id=lead.pk)
    with pytest.raises(NotFound):
        inc.incident_add_member(actor=users["city_b_dispatcher"], incident_id=incident.pk, ticket_id=other.pk)
    with pytest.raises(ValidationFailed):
        inc.incident_reply(actor=agent, incident_id=incident.pk, text="  ")
    assert IncidentMember.objects.filter(incident=incident).count() == 2
    inc.incident_remove_member(actor=agent, incident_id=incident.pk, ticket_id=other.pk)
    t.ticket_review(ticket_id=lead.pk, actor=users["dispatcher"], valid=False, reason="重复", answer="已答复")
    result = inc.incident_close(actor=agent, incident_id=incident.pk, reason="已处理")
    assert result.incident.state == "closed" and result.refused[0].number == lead.number
    with pytest.raises(Conflict):
        inc.incident_add_member(actor=agent, incident_id=incident.pk, ticket_id=other.pk)


def test_incident_api(make_ticket, api, users):
    lead, member = make_ticket(**OUTAGE), make_ticket(**OUTAGE_2)
    to_awaiting_reply(lead, users)
    agent = api(users["intake_agent"])
    r = agent.post("/incidents", {"lead": lead.pk})
    assert r.status_code == 201, r.content
    iid = r.json()["id"]
    r = agent.post(f"/incidents/{iid}/members", {"ticket": member.pk, "source": "suggestion"})
    assert r.status_code == 200 and [m["ticket_id"] for m in r.json()["members"]] == [lead.pk, member.pk]
    assert agent.get(f"/tickets/{member.pk}").json()["incident"]["id"] == iid
    assert agent.get(f"/incidents/{iid}").json()["hidden_members"] == 0
    assert [i["id"] for i in agent.get("/incidents").json()] == [iid]
    r = agent.post(f"/incidents/{iid}/reply", {"text": "已修复"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["done"] == [lead.number] and body["refused"][0]["number"] == member.number
    assert body["refused"][0]["reason"]
    # Bad input: named field, no 500.
    assert agent.post(f"/incidents/{iid}/reply", {"text": ""}).status_code == 422
    assert agent.post(f"/incidents/{iid}/reply", {}).status_code == 422
    assert agent.post("/incidents", {"lead": 0}).status_code == 422
    assert agent.post("/incidents", {"lead": 99999999}).status_code == 422
    assert agent.post(f"/incidents/{iid}/members", {"ticket": member.pk}).status_code == 422
    assert agent.get("/incidents/99999999").status_code == 404
    assert api(users["city_b_dispatcher"]).get(f"/incidents/{iid}").status_code == 404
    assert api(users["handler"]).post("/incidents", {"lead": member.pk}).status_code == 403


# -- the workbench pages ---------------------------------------------------------------------

@pytest.mark.parametrize("lang,word", [("en", "Similar open tickets"), ("zh-hans", "相似的未结工单")])
def test_pages_suggest_group_and_carry(make_ticket, client, users, lang, word):
    from django.urls import reverse

    lead, member, early = make_ticket(**OUTAGE), make_ticket(**OUTAGE_2), make_ticket(**OUTAGE_2)
    to_awaiting_reply(lead, users)
    to_awaiting_reply(member, users)
    client.force_login(users["intake_agent"])
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = lang
    # Registration form: the htmx partial names the open near-duplicates.
    html = client.get(reverse("workbench:register_similar"), {"title": OUTAGE_2["title"],
                                                              "description": OUTAGE_2["description"]}).content.decode()
    assert lead.number in html and member.number in html
    assert lead.number not in client.get(reverse("workbench:register_similar"), {"title": "话费多扣"}).content.decode()
    assert client.get(reverse("workbench:register_similar"), {"title": "x\x00"}).status_code == 200
    # Ticket page: the panel is loaded by htmx; without JS it is a page of its own.
    assert reverse("workbench:ticket_similar", args=[lead.pk]) in client.get(reverse("workbench:ticket", args=[lead.pk])).content.decode()
    html = client.get(reverse("workbench:ticket_similar", args=[lead.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert word in html and member.number in html and "<html" not in html
    r = client.post(reverse("workbench:incident_create", args=[lead.pk]), {"title": "甲市城区断网"})
    incident_url = r.url
    from complaintdesk.incidents.models import Incident

    incident = Incident.objects.get()
    assert incident_url == reverse("workbench:incident", args=[incident.pk])
    # From the ticket page's suggestions, then by number on the incident page.
    r = client.post(reverse("workbench:incident_add", args=[incident.pk]),
                    {"ticket_id": member.pk, "source": "suggestion", "back": lead.pk})
    assert r.url == reverse("workbench:ticket", args=[lead.pk])
    r = client.post(reverse("workbench:incident_add", args=[incident.pk]), {"number": early.number.lower()}, follow=True)
    assert early.number in r.content.decode()
    r = client.post(reverse("workbench:incident_add", args=[incident.pk]), {"number": "NOPE"}, follow=True)
    assert b"message-error" in r.content
    r = client.post(reverse("workbench:incident_reply", args=[incident.pk]), {"text": "基站已修复"}, follow=True)
    html = r.content.decode()
    assert f"{lead.number}, {member.number}" in html and early.number in html and "message-warning" in html
    r = client.post(reverse("workbench:incident_reply", args=[incident.pk]), {"text": ""}, follow=True)
    assert b"message-error" in r.content
    r = client.post(reverse("workbench:incident_remove", args=[incident.pk, early.pk]), follow=True)
    assert r.status_code == 200 and not IncidentMember.objects.filter(ticket=early).exists()
    html = client.get(reverse("workbench:incidents")).content.decode()
    assert incident.number in html
    assert client.get(reverse("workbench:incident", args=[999999])).status_code == 404
    assert client.get(reverse("workbench:incident_reply", args=[incident.pk])).status_code == 405
    client.force_login(users["city_b_dispatcher"])
    assert client.get(reverse("workbench:incident", args=[incident.pk])).status_code == 404
    assert client.get(reverse("workbench:ticket_similar", args=[lead.pk])).status_code == 404
