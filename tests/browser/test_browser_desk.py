"""Issue 12 §5 in a real browser, in each language: a bulk dispatch from a worklist with one
refusal (named by ticket number with the reason), and an internal note whose @mention reaches
the mentioned colleague's bell. Screenshots: docs/screenshots/bulk-*.png, note-mention-*.png."""

import pytest
from browserkit import labelled, tr
from playwright.sync_api import expect

from complaintdesk.tickets.models import Ticket, TicketEvent
from complaintdesk.tickets.services import transitions as t


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_bulk_dispatch_with_one_refusal(people, users, make_ticket, lang):
    ready = []
    for title in ("宽带断网", "话费多扣"):
        x = make_ticket(title=title)
        t.ticket_review(ticket_id=x.pk, actor=users["dispatcher"], valid=True)
        ready.append(x)
    fresh = make_ticket(title="未复核的工单")  # still to review: dispatch refused
    me = people(lang).login("dispatcher")
    me.goto("/work/all/")
    page = me.page
    for x in (*ready, fresh):
        page.get_by_label(tr(lang, "Select ticket %(number)s") % {"number": x.number}).check()
    page.get_by_label(labelled(tr(lang, "Dispatch to department"))).select_option("network")
    with page.expect_navigation():
        page.get_by_role("button", name=tr(lang, "Apply to the selected tickets")).click()
    result = page.locator(".wl-bulk-result")
    for x in ready:
        expect(result.locator(".notice-success")).to_contain_text(x.number)
    refused = result.locator(f'tr[data-ticket="{fresh.number}"]')
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text(tr(lang, "Registered"))
    for x in ready:
        assert Ticket.objects.get(pk=x.pk).lead_department.code == "network"
        assert TicketEvent.objects.filter(ticket=x, type="dispatched").count() == 1
    assert Ticket.objects.get(pk=fresh.pk).state == "registered"
    me.axe("bulk result")
    me.shot(f"bulk-{lang}")
    me.guard.check()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_note_with_a_mention_reaches_the_bell(people, users, make_ticket, lang):
    ticket = make_ticket(title="客户要求经理回电")
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"], department="billing")
    me = people(lang).login("dispatcher")
    me.goto(f"/tickets/{ticket.pk}/")
    page = me.page
    tools = page.locator("#ticket-tools")
    tools.locator('details[data-tool="note"] summary').click()
    tools.get_by_label(labelled(tr(lang, "Internal note (staff only, never shown to the customer)"))).fill(
        "客户下午三点后方便接听")
    picker = tools.get_by_label(tr(lang, "Mention a colleague"))
    with page.expect_response(lambda r: "/staff/picker/" in r.url and "hea" in r.url):
        picker.fill("hea")
    expect(tools.locator('datalist option[value="head"]')).to_have_count(1)
    picker.fill("head")
    tools.get_by_role("button", name=tr(lang, "Add the note")).click()
    expect(page.locator("#ticket-main .notice")).to_contain_text("@head")
    expect(page.locator("li.tl-note")).to_contain_text("客户下午三点后方便接听")
    me.axe("ticket page with a note")
    me.shot(f"note-mention-{lang}")
    me.guard.check()
    head = people(lang).login("head")
    head.goto("/work/")
    bell = head.page.locator("a.bell")
    bell.locator(".bell-unread").wait_for()
    # The dispatch told the department head already; the mention is the second, newest one.
    assert bell.locator(".bell-unread > span[aria-hidden]").inner_text() == "2"
    bell.click()
    head.page.wait_for_url("**/inbox/")
    newest = head.page.locator(".inbox-item").first
    # (The message is written in the outbox's language when it is queued, as every message.)
    expect(newest).to_contain_text(ticket.number)
    expect(newest).to_contain_text("客户下午三点后方便接听")
    head.guard.check()
