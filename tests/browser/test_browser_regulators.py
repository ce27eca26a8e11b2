"""Issue 10 §3 in a real browser, in each language: an intake agent registers a regulator
transfer by choosing the regulator's profile (no date typed); the form previews the
regulator's deadline on the working calendar; the ticket page shows the regulator's deadline
beside ours, and offers the reply sheet."""

import pytest
from browserkit import labelled, tr
from playwright.sync_api import expect

from complaintdesk.sla.models import ClockRule, Policy
from complaintdesk.sla.services.policies import sla_config_changed
from complaintdesk.tickets.models import Ticket
from tests.test_regulators import ensure_profiles

NFRA = {"zh": "国家金融监督管理总局（12378）", "en": "NFRA (12378)"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_register_a_regulator_transfer_with_a_profile_and_see_both_deadlines(people, org, lang):
    t = lambda text: tr(lang, text)  # noqa: E731
    ensure_profiles()
    policy = Policy.objects.create(name="全部", name_en="all")
    ClockRule.objects.create(policy=policy, clock="ticket", amount=5, unit="working_days")
    sla_config_changed()

    agent = people(lang).login("agent")
    page = agent.page
    with page.expect_navigation():
        page.get_by_role("link", name=t("Register a ticket")).click()
    with page.expect_response(lambda r: "/categories/" in r.url):
        agent.fill(page.get_by_label(labelled(t("Ticket kind"))), t("Complaint"))
    agent.htmx_settled()  # the new select is live only once htmx has processed it
    category = page.locator("#id_category")
    expect(category.locator("option", has_text={"zh": "多扣费", "en": "Overcharge"}[lang])).to_have_count(1)
    with page.expect_response(lambda r: "/elements/" in r.url):
        agent.fill(category, {"zh": "多扣费", "en": "Overcharge"}[lang])
    agent.htmx_settled()
    page.get_by_label(labelled({"zh": "业务号码", "en": "Account number"}[lang])).fill("13800138000")
    page.get_by_label(labelled({"zh": "争议月份", "en": "Disputed month"}[lang])).fill("2026-10-01")
    page.get_by_label(labelled({"zh": "争议金额", "en": "Disputed amount"}[lang])).fill("58")
    page.get_by_label(labelled(t("Customer phone"))).fill("139 0013 9000")
    page.get_by_label(labelled(t("Title"))).fill({"zh": "保单退保争议", "en": "Surrender dispute"}[lang])
    page.get_by_label(labelled(t("Description"))).fill({"zh": "退保金额与合同不符。", "en": "The surrender value is wrong."}[lang])
    agent.fill(page.get_by_label(labelled(t("Channel"))), t("Regulator / consumer association transfer"))
    # The source is folded under "More" on the hotline form.
    page.locator("details.reg-more > summary").click()
    page.get_by_label(labelled(t("Regulator's reference"))).fill("YJ-2026-1120")
    # Transferred on Friday 20 November 2026: 15 days end on Saturday 5 December, so on
    # Monday 7 December at the close of business.
    page.get_by_label(labelled(t("Transferred at (if earlier than now)"))).fill("2026-11-20T09:00")
    with page.expect_response(lambda r: "/regulators/preview/" in r.url):
        agent.fill(page.get_by_label(labelled(t("Regulator (its rule gives the deadline)"))), NFRA[lang])
    agent.htmx_settled()
    expect(page.locator("#regulator-preview")).to_contain_text("2026-12-07 17:30")
    agent.axe("registration with the regulator's preview")
    agent.shot(f"regulator-register-{lang}")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Register"), exact=True).click()
    agent.guard.check()

    ticket = Ticket.objects.get()
    assert ticket.source_tier == "12378" and ticket.regulator_ref == "YJ-2026-1120"
    section = page.locator("#regulator")
    expect(section).to_contain_text(NFRA[lang])
    expect(section.locator('[data-deadline="regulator"]')).to_have_text("2026-12-07 17:30")
    # Ours: 5 working days from the transfer (counted from the first report = the transfer).
    expect(section.locator('[data-deadline="ours"]')).to_have_text("2026-11-27 17:30")
    # Both clocks in the deadlines table.
    expect(page.locator('#deadlines tr[data-clock="regulator"]')).to_contain_text(t("Regulator's deadline"))
    expect(page.locator('#deadlines tr[data-clock="ticket"]')).to_have_count(1)
    expect(section.get_by_role("link", name=t("Reply sheet in the regulator's layout (xlsx)"))).to_be_visible()
    agent.axe("ticket page with the regulator's deadline")
    agent.shot(f"regulator-ticket-{lang}")
