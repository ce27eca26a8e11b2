"""The portal in a real browser (Debian's Chromium via Playwright, as tests/browser/): on a
360 px phone nothing overflows sideways; the pages with errors, the case page with its
forms and the lookup refusal pass axe-core; filing works with JavaScript switched off;
nothing is requested outside the app. Screenshots go to docs/screenshots/portal-*.png."""

import re

import pytest
from browserkit import CUSTOMER_PHONE, DESKTOP, labelled, portal_fill_filing, tr

from complaintdesk.portal.models import PortalTicket
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.services import transitions as t

PHONE_360 = {"width": 360, "height": 740}


@pytest.fixture
def person(people, settings):
    settings.PORTAL_CHALLENGE_MIN_SECONDS = 0  # a test types faster than a person
    return people


def no_sideways_scroll(me):
    width = me.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{me.page.url} is {width[0]} px wide on a {width[1]} px screen"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_portal_on_a_phone(person, org, users, lang):
    me = person(lang, PHONE_360)
    page = me.page
    me.goto("/portal/")
    no_sideways_scroll(me)
    me.axe("portal home")
    me.shot(f"portal-home-{lang}-360")

    # A form sent with mistakes: errors named at the top and at each field, values kept.
    me.goto("/portal/file/")
    portal_fill_filing(me)
    page.get_by_label(labelled(tr(me.lang, "Phone number"))).fill("1380013")
    page.get_by_label(labelled({"zh": "争议月份", "en": "Disputed month"}[lang])).fill("")
    with page.expect_navigation():
        page.get_by_role("button", name=tr(lang, "Send"), exact=True).click()
    assert page.locator("#error-summary").is_visible()
    assert page.locator("#id_phone").input_value() == "1380013"
    assert page.locator("#err-elements-month").is_visible()
    no_sideways_scroll(me)
    me.axe("portal form with errors")
    me.shot(f"portal-file-errors-{lang}-360")

    # Corrected and sent: the tracking code, readable on the phone.
    page.get_by_label(labelled(tr(me.lang, "Phone number"))).fill(CUSTOMER_PHONE)
    page.get_by_label(labelled({"zh": "争议月份", "en": "Disputed month"}[lang])).fill("2026-10-01")
    question = page.locator("#hint-challenge").inner_text()
    page.get_by_label(labelled(tr(lang, "Check question"))).fill(str(sum(int(n) for n in re.findall(r"\d+", question))))
    with page.expect_navigation():
        page.get_by_role("button", name=tr(lang, "Send"), exact=True).click()
    code = page.locator("#tracking-code").inner_text()
    assert len(code.replace("-", "")) == 10
    no_sideways_scroll(me)
    me.axe("portal filed")
    me.shot(f"portal-filed-{lang}-360")

    # The centre asks for more information; the customer looks the case up and answers.
    ticket = Ticket.objects.get(pk=PortalTicket.objects.get().ticket_id)
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True)
    t.ticket_request_info(ticket_id=ticket.pk, actor=users["dispatcher"],
                          question={"zh": "请上传扣费短信截图。", "en": "Please upload the charge SMS."}[lang])
    other = person(lang, PHONE_360)
    other.goto("/portal/track/")
    other.page.get_by_label(tr(lang, "Tracking code")).fill("AAAAA-AAAAA")
    other.page.get_by_label(tr(lang, "Phone number")).fill(CUSTOMER_PHONE)
    other.page.get_by_role("button", name=tr(lang, "Look up"), exact=True).click()
    other.page.wait_for_load_state("load")
    assert other.page.locator(".error-summary").is_visible()
    other.axe("portal lookup refused")
    other.page.get_by_label(tr(lang, "Tracking code")).fill(code.lower())
    with other.page.expect_navigation():
        other.page.get_by_role("button", name=tr(lang, "Look up"), exact=True).click()
    assert "/portal/case/" in other.page.url
    no_sideways_scroll(other)
    other.axe("portal case waiting on the customer")
    other.shot(f"portal-case-answer-{lang}-360")
    other.page.get_by_label(labelled(tr(lang, "Your answer"))).fill("截图稍后补上" if lang == "zh" else "Screenshot attached later")
    with other.page.expect_navigation():
        other.page.get_by_role("button", name=tr(lang, "Send my answer"), exact=True).click()
    ticket.refresh_from_db()
    assert not ticket.waiting_on_customer


def test_filing_without_javascript(person, org):
    me = person("zh", PHONE_360, javascript=False)
    page = me.page
    page.goto(me.base_url + "/portal/file/")
    page.get_by_label(labelled("反映事项类型")).select_option(label=tr("zh", "Complaint"))
    with page.expect_navigation():
        page.get_by_role("button", name=tr("zh", "Show the categories and the questions for my choice")).click()
    page.get_by_label(labelled("问题类别")).select_option(label="计费账务 › 多扣费")
    with page.expect_navigation():
        page.get_by_role("button", name=tr("zh", "Show the categories and the questions for my choice")).click()
    page.get_by_label(labelled("业务号码")).fill(CUSTOMER_PHONE)
    page.get_by_label(labelled("争议月份")).fill("2026-10-01")
    page.get_by_label(labelled("争议金额")).fill("58")
    page.get_by_label(labelled("问题描述")).fill("话费多扣了")
    page.get_by_label(labelled("电话号码")).fill(CUSTOMER_PHONE)
    question = page.locator("#hint-challenge").inner_text()
    page.get_by_label(labelled("校验题")).fill(str(sum(int(n) for n in re.findall(r"\d+", question))))
    with page.expect_navigation():
        page.get_by_role("button", name="提交", exact=True).click()
    assert page.locator("#tracking-code").is_visible()
    assert Ticket.objects.count() == 1


def test_desktop_screenshots(person, org):
    me = person("en", DESKTOP)
    me.goto("/portal/file/?kind=complaint&category=billing-overcharge")
    me.axe("portal form (desktop)")
    me.shot("portal-file-en-desktop")
