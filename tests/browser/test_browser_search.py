"""The search page in a real browser: a search from the box finds the ticket with its words
highlighted, in both languages; a handler never finds another department's ticket; a bad
query gets a clear message; the worklists' box finds by words too; axe-core finds no serious
violation; nothing is requested outside the app."""

import pytest
from browserkit import tr
from playwright.sync_api import expect

from complaintdesk.tickets.services import transitions as t


@pytest.fixture
def person(people):
    def make(lang="en"):
        return people(lang, {"width": 1280, "height": 900})

    return make


@pytest.fixture
def tickets(org, make_ticket):
    u = org["users"]
    brakes = make_ticket(title="新车刹车异响", description="每次踩刹车都有异响，4S店说正常，要求退款。")
    signal = make_ticket(title="家里信号差", description="小区基站信号差，通话经常中断，要求退款。",
                         category="network-weak", elements={})
    for ticket, dept in ((brakes, "billing"), (signal, "network")):
        t.ticket_review(ticket_id=ticket.pk, actor=u["dispatcher"], valid=True)
        t.ticket_dispatch(ticket_id=ticket.pk, actor=u["dispatcher"], department=dept)
    return {"brakes": brakes, "signal": signal}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_search_from_the_box_finds_the_ticket_highlighted(person, tickets, lang):
    me = person(lang).login("dispatcher")
    me.goto("/work/")
    me.page.get_by_role("link", name=tr(lang, "Search"), exact=True).first.click()
    me.page.wait_for_load_state("load")
    box = me.page.get_by_label(tr(lang, "Search"), exact=True)
    box.fill("刹车异响")
    with me.page.expect_navigation():
        box.press("Enter")
    hits = me.page.locator("ol.search-results li")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text(tickets["brakes"].number)
    marks = hits.first.locator("mark")
    expect(marks.first).to_be_visible()
    assert {"刹车", "异响"} <= set(marks.all_inner_texts())
    # the highlight is painted, not only in the markup
    assert me.page.evaluate("getComputedStyle(document.querySelector('mark')).backgroundColor") != "rgba(0, 0, 0, 0)"
    me.axe(f"search results ({lang})")
    me.shot(f"search-results-{lang}")
    # the result opens the ticket
    with me.page.expect_navigation():
        hits.first.get_by_role("link", name=tickets["brakes"].number).click()
    expect(me.page.locator("h1")).to_contain_text(tickets["brakes"].number)


def test_a_handler_cannot_find_another_departments_ticket(person, tickets):
    me = person("en").login("handler")  # billing
    me.goto("/search/?q=" + "退款")
    hits = me.page.locator("ol.search-results li")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text(tickets["brakes"].number)
    me.goto("/search/?q=" + tickets["signal"].number)
    expect(me.page.get_by_role("status")).to_contain_text("No ticket you may see matches this search.")
    me.goto("/search/?q=信号差")
    expect(me.page.locator("ol.search-results li")).to_have_count(0)


def test_bad_queries_get_a_clear_message(person, tickets):
    me = person("zh").login("dispatcher")
    me.goto("/search/?q=！！？", expect_ok=False)
    expect(me.page.get_by_role("alert").first).to_contain_text(
        tr("zh", "Nothing to search for: type a word, a ticket number or a phone number."))
    me.goto("/search/?q=" + "退" * 300, expect_ok=False)
    expect(me.page.get_by_role("alert").first).to_be_visible()
    me.axe("search error")


def test_the_worklist_box_finds_by_words(person, tickets):
    me = person("en").login("dispatcher")
    me.goto("/work/all/")
    box = me.page.get_by_label("Search", exact=True)
    box.fill("异响")
    with me.page.expect_response(lambda r: "/work/all/" in r.url):
        box.press("Enter")
    me.page.wait_for_function("document.querySelectorAll('table.wl-table tbody tr').length === 1")
    expect(me.page.locator("table.wl-table tbody tr").first).to_contain_text(tickets["brakes"].number)
