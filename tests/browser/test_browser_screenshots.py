"""Screenshots of the main pages for docs/screenshots/: desktop 1280×800 in both languages, the
portal also at 390×844 (a phone). Only with SCREENSHOTS=1, so that CI never rewrites them:

    SCREENSHOTS=1 .venv/bin/python -m pytest tests/browser/test_browser_screenshots.py
"""

import os

import pytest
from browserkit import PHONE, SCREENSHOTS, portal_fill_filing, portal_lookup, text_of, tr
from browserwalk import deadline_policy, more_tickets, tickets_for_pages, walk

from complaintdesk.tickets.vocabulary import Action

pytestmark = pytest.mark.skipif(os.environ.get("SCREENSHOTS") != "1",
                                reason="screenshots are taken only with SCREENSHOTS=1")

NAMES = {
    "login": "login", "worklists": "worklists", "worklist": "worklist",
    "register-errors": "register-errors", "ticket": "ticket", "portal": "portal",
    "portal-file": "portal-file", "portal-filed": "portal-filed", "portal-case": "portal-case",
    # dashboard-{zh,en}.png come from the dashboard's own browser test, with fuller data.
    "dashboard": None,
}


@pytest.fixture
def portal_settings(settings):
    settings.PORTAL_CHALLENGE_MIN_SECONDS = 0


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_screenshots(people, org, make_ticket, portal_settings, lang):
    deadline_policy()
    tickets = tickets_for_pages(org, make_ticket)
    more_tickets(org, make_ticket)
    taken = []

    def seen(name, person):
        if NAMES[name]:
            person.shot(f"{NAMES[name]}-{lang}", full_page=True)
        taken.append(name)

    walk(people, lang, tickets, seen)

    # The portal on a phone: home, the filing form (full length), the tracking page.
    phone = people(lang, PHONE)
    phone.goto("/portal/")
    phone.shot(f"portal-mobile-{lang}", full_page=False)
    phone.goto("/portal/file/")
    portal_fill_filing(phone)
    phone.shot(f"portal-file-mobile-{lang}", full_page=True)
    with phone.page.expect_navigation():
        phone.page.get_by_role("button", name=tr(lang, "Send"), exact=True).click()
    code = text_of(phone.page.locator("#tracking-code"))
    phone.shot(f"portal-filed-mobile-{lang}", full_page=False)
    portal_lookup(phone, code)
    phone.shot(f"portal-case-mobile-{lang}", full_page=True)
    # A stale page after someone else acted: the conflict message and the fresh state.
    first, second = people(lang).login("supervisor"), people(lang).login("dispatcher")
    for person in (first, second):
        person.goto(f"/tickets/{tickets['fresh'].pk}/")
    first.act(tr(lang, Action.REVIEW_VALID.label))
    second.act(tr(lang, Action.REVIEW_VALID.label), expect_done=False)
    second.shot(f"ticket-conflict-{lang}", full_page=False)
    assert len(taken) == len(NAMES)
    assert (SCREENSHOTS / f"ticket-{lang}.png").exists()
