"""Issue 12 §6: the registration form as a hotline agent uses it, at 1280 × 800 — the caller's
phone first (focused; it brings the history and the repeat hint), the kind before the
category (no "no matching category" before a kind is chosen), and the whole form, Register
button included, on one screen without scrolling. Screenshots: docs/screenshots/register-1280-*.png."""

import pytest
from browserkit import DESKTOP, labelled, tr
from playwright.sync_api import expect


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_registration_form_fits_one_screen_at_1280(people, make_ticket, lang):
    make_ticket(title="话费多扣" if lang == "zh" else "Overcharged")  # an open earlier ticket of 13800138000
    me = people(lang, viewport=DESKTOP).login("agent")
    me.goto("/tickets/new/")
    page = me.page
    # The phone is the first field and has the focus.
    assert page.evaluate("document.activeElement.id") == "id_phone"
    first = page.locator("form.register-form input:not([type=hidden]), form.register-form select, "
                         "form.register-form textarea").first
    assert first.get_attribute("id") == "id_phone"
    # Before a kind is chosen the category area asks for the kind, never "no match".
    hint = page.locator("#category-options")
    expect(hint).to_contain_text(tr(lang, "Choose the kind of ticket first: its categories appear here."))
    assert tr(lang, "No category matches these words.") not in hint.inner_text()
    page.get_by_label(labelled(tr(lang, "Search the category tree"))).fill("xyz")
    me.htmx_settled()
    expect(hint).to_contain_text(tr(lang, "Choose the kind of ticket first: its categories appear here."))
    page.get_by_label(labelled(tr(lang, "Search the category tree"))).fill("")
    me.htmx_settled()
    # The phone brings the history and the repeat hint.
    with page.expect_response(lambda r: "/tickets/new/phone/" in r.url):
        page.locator("#id_phone").fill("13800138000")
    expect(page.locator("#customer-history .repeat-hint")).to_be_visible()
    with page.expect_response(lambda r: "/categories/" in r.url):
        me.fill(page.get_by_label(labelled(tr(lang, "Ticket kind"))), tr(lang, "Complaint"))
    me.htmx_settled()  # the new select is live only once htmx has processed it
    category = page.locator("#id_category")
    overcharge = {"zh": "多扣费", "en": "Overcharge"}[lang]
    with page.expect_response(lambda r: "/elements/" in r.url):
        me.fill(category, overcharge)
    me.htmx_settled()
    page.get_by_label(labelled({"zh": "业务号码", "en": "Account number"}[lang])).fill("13800138000")
    page.get_by_label(labelled({"zh": "争议月份", "en": "Disputed month"}[lang])).fill("2026-10-01")
    page.get_by_label(labelled({"zh": "争议金额", "en": "Disputed amount"}[lang])).fill("58")
    page.get_by_label(labelled(tr(lang, "Title"))).fill("话费多扣")
    page.get_by_label(labelled(tr(lang, "Description"))).fill("十月份话费多扣了58元")
    me.htmx_settled()
    # One screen: nothing scrolls, the Register button and every main field are in view.
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= DESKTOP["height"], f"the form is {height}px high at 1280 × 800"
    assert me.overflow_x() == 0
    for locator in (page.get_by_role("button", name=tr(lang, "Register"), exact=True),
                    page.locator("#id_phone"), category, page.locator("#id_description"),
                    page.get_by_label(labelled({"zh": "争议金额", "en": "Disputed amount"}[lang]))):
        box = locator.bounding_box()
        assert box is not None and box["y"] + box["height"] <= DESKTOP["height"], locator
    me.axe("registration form at 1280")
    me.shot(f"register-1280-{lang}", full_page=False)
    with page.expect_navigation():
        page.get_by_role("button", name=tr(lang, "Register"), exact=True).click()
    assert "/tickets/new/" not in page.url, page.inner_text("main")[:400]
    me.guard.check()
