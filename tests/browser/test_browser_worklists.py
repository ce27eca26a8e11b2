"""The worklists in a real browser (Debian's Chromium, Playwright): a filter change swaps only
the table (htmx) and keeps the filters in the URL; pages go forwards and back; the same list
works without JavaScript (a plain GET form); a filter error names the field; a filter set is
saved and found again; axe-core finds no serious or critical violation; nothing is requested
outside the app."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from complaintdesk.tickets.services import transitions as t


@pytest.fixture
def person(people):
    def make(lang="en", javascript=True):
        return people(lang, {"width": 1280, "height": 900}, javascript)

    return make


@pytest.fixture
def tickets(org, make_ticket):
    u = org["users"]
    made = [make_ticket(title=f"话费多扣第{i}笔") for i in range(7)]
    made.append(make_ticket(kind="inquiry", category="inquiry-tariff", elements={}, title="资费咨询"))
    for ticket in made[:3]:
        t.ticket_review(ticket_id=ticket.pk, actor=u["dispatcher"], valid=True)
    return made


def numbers(page) -> list[str]:
    return page.locator("table.wl-table tbody tr td:first-child a").all_inner_texts()


def test_filters_swap_the_table_and_stay_in_the_url(person, org, tickets, monkeypatch):
    from complaintdesk.workbench.views import worklists as views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    me = person("en").login("dispatcher")
    me.goto("/work/all/")
    page = me.page
    page.evaluate("window.__marker = 'same page'")  # gone if the page reloads
    assert len(numbers(page)) == 3
    with page.expect_response(lambda r: "/work/all/" in r.url and r.request.headers.get("hx-request") == "true"):
        page.get_by_label("Kind", exact=True).select_option("inquiry")
    page.wait_for_function("() => document.querySelectorAll('table.wl-table tbody tr').length === 1")
    assert numbers(page) == [tickets[-1].number]
    assert parse_qs(urlsplit(page.url).query)["kind"] == ["inquiry"]
    assert page.evaluate("window.__marker") == "same page"
    me.axe("worklist filtered")

    # Clear the kind, then walk the pages forwards and back (htmx, no reload).
    page.get_by_label("Kind", exact=True).select_option("")
    page.wait_for_function("() => document.querySelectorAll('table.wl-table tbody tr').length === 3")
    seen = list(numbers(page))
    while page.get_by_role("link", name="Next page →").count():
        before = numbers(page)
        page.get_by_role("link", name="Next page →").click()
        page.wait_for_function(
            "(first) => { const a = document.querySelector('table.wl-table tbody tr td a'); return a && a.textContent !== first; }",
            arg=before[0])
        seen += numbers(page)
    assert sorted(seen) == sorted(x.number for x in tickets) and len(seen) == len(set(seen))
    page.get_by_role("link", name="← Previous page").click()
    page.wait_for_function("() => document.querySelectorAll('table.wl-table tbody tr').length === 3")
    assert numbers(page) == seen[3:6]
    assert page.evaluate("window.__marker") == "same page"

    # Back in the browser's history restores the earlier list.
    page.go_back()
    page.wait_for_timeout(300)
    me.guard.check()


def test_without_javascript_the_form_still_filters(person, org, tickets):
    me = person("zh", javascript=False).login("dispatcher")
    me.goto("/work/all/")
    me.page.get_by_label("查询", exact=True).fill("资费咨询")
    with me.page.expect_navigation():
        me.page.get_by_role("button", name="筛选").click()
    assert numbers(me.page) == [tickets[-1].number]
    assert "q=" in me.page.url


def test_bad_dates_are_named_and_saved_filters_come_back(person, org, tickets):
    me = person("en").login("dispatcher")
    me.goto("/work/to_review/?date_from=2026-05-02&date_to=2026-05-01&q=话费")
    page = me.page
    assert "Registered until: The end date is before the start date." in page.content()
    assert page.get_by_label("Search", exact=True).input_value() == "话费"
    me.axe("worklist with a filter error")

    me.goto("/work/to_review/?q=话费")
    page.get_by_label("Save these filters as").fill("话费复核")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    assert "Filter “话费复核” saved." in page.content()
    me.goto("/work/")
    me.axe("worklists home")
    with page.expect_navigation():
        page.get_by_role("link", name="话费复核").click()
    assert re.search(r"/work/to_review/\?q=", page.url)
    # Seven 话费 tickets, three of them reviewed already, and the inquiry: the search reads the
    # description too, which says 话费 (the word search replaced a scan of titles).
    assert len(numbers(page)) == 5
