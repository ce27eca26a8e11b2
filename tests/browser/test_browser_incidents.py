"""Mass incidents in the browser: typing a near-duplicate on the registration form shows the
open ticket that says the same thing; from the lead ticket's page an incident is created and
the suggestions are added to it; one reply is carried to every member and the member that
cannot take it is named with the reason. Then the customer page of the lead's customer."""

import pytest
from browserkit import text_of, tr
from playwright.sync_api import expect

from complaintdesk.tickets.services import transitions as t

OUTAGE = dict(title="甲市城区4G信号中断无法上网", description="今天上午开始甲市城区手机4G信号中断，无法上网也打不了电话。",
              category="network-weak", elements={})
OUTAGE_2 = dict(title="甲市城区4G信号中断，无法上网", description="今天上午开始甲市城区4G信号中断，手机无法上网，电话也打不了。",
                category="network-weak", elements={})


def to_awaiting_reply(ticket, users):
    d, h = users["dispatcher"], users["network_handler"]
    t.ticket_review(ticket_id=ticket.pk, actor=d, valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=d)
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=h)
    t.ticket_handle(ticket_id=ticket.pk, actor=h, notes="基站故障已修复", cause="network")
    t.ticket_audit(ticket_id=ticket.pk, actor=d, approve=True)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_near_duplicate_suggested_grouped_and_answered_together(people, org, make_ticket, lang):
    users = org["users"]
    lead = make_ticket(**OUTAGE)
    member = make_ticket(phone="13900139001", **OUTAGE_2)
    early = make_ticket(phone="13900139002", **OUTAGE_2)  # still registered: cannot take a reply
    to_awaiting_reply(lead, users)
    to_awaiting_reply(member, users)

    def tt(text):
        return tr(lang, text)

    me = people(lang).login("dispatcher")
    page = me.page

    # 1. Registration: the suggestion appears as the title and description are typed.
    me.goto("/tickets/new/")
    page.locator("#id_title").fill(OUTAGE_2["title"])
    page.locator("#id_description").fill(OUTAGE_2["description"])
    similar = page.locator("#similar-tickets")
    expect(similar.get_by_role("link", name=lead.number, exact=True)).to_be_visible()
    expect(similar.get_by_role("link", name=member.number, exact=True)).to_be_visible()
    me.shot(f"register-similar-{lang}", full_page=False)

    # 2. The lead ticket's page: the panel loads, the incident is created.
    me.goto(f"/tickets/{lead.pk}/")
    panel = page.locator("#ticket-similar")
    expect(panel.get_by_role("heading", name=tt("Similar open tickets"))).to_be_visible()
    expect(panel.get_by_role("link", name=member.number, exact=True)).to_be_visible()
    with page.expect_navigation():
        panel.get_by_role("button", name=tt("Create an incident with this ticket as lead")).click()
    me.guard.check()
    assert "/incidents/" in page.url

    # 3. The incident page: both suggestions are added from its list.
    for number in (member.number, early.number):
        with page.expect_navigation():
            page.get_by_role("button", name=tt("Add to the incident: %(number)s") % {"number": number}).click()
        expect(page.locator(f'tr[data-ticket="{number}"]')).to_be_visible()
    me.axe("incident page")

    # 4. One reply carried to every member; the early one is named with the reason.
    page.get_by_label(tt("Reply to the customers")).fill("基站故障已于12:00修复，给您带来不便深表歉意。")
    with page.expect_navigation():
        page.get_by_role("button", name=tt("Reply to every member")).click()
    me.guard.check()
    messages = page.locator("ul.messages")
    expect(messages.locator(".message-success")).to_contain_text(f"{lead.number}, {member.number}")
    warning = text_of(messages.locator(".message-warning"))
    assert early.number in warning and lead.number not in warning, warning
    assert tt("Reply") in text_of(messages.locator(".message-success"))
    if lang == "zh":
        assert not [p for p in me.english_phrases() if p not in ("Reply",)], me.english_phrases()
    me.shot(f"incident-carried-{lang}")

    # 5. The customer page of the lead's customer.
    me.goto(f"/tickets/{lead.pk}/")
    with page.expect_navigation():
        page.locator("section[aria-labelledby=h-customer]").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name=tt("Contacts"))).to_be_visible()
    expect(page.get_by_role("link", name=lead.number, exact=True)).to_be_visible()
    me.axe("customer page")
    me.shot(f"customer-{lang}")
