"""Issue 9 §2 and §4 in a real browser, in each language: an intake agent registers a repeat
complaint from the form (the screening shows the repeat and the special-complainant phrase
before it is sent), the ticket page shows the badges and the chain (first ticket → repeat);
a dispatcher unlinks it with a reason, and the badge and the chain are gone."""

from urllib.parse import unquote_plus

import pytest
from browserkit import labelled, tr
from playwright.sync_api import expect

from complaintdesk.screening.models import SpecialPhrase
from complaintdesk.screening.services.rules import screening_rules_changed
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.vocabulary import Action, TicketFlag

DESCRIPTION = {"zh": "上个月的问题又出现了，这个月又多扣了58元。再不解决我就找记者。",
               "en": "The same overcharge again this month, 58 yuan. If it is not fixed I will call a journalist."}
PHRASE = {"zh": "记者", "en": "journalist"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_register_a_repeat_see_the_chain_and_unlink_it(people, org, make_ticket, lang):
    t = lambda text: tr(lang, text)  # noqa: E731
    # A live-server test empties the tables after it, the seeded phrases too: make sure of ours.
    SpecialPhrase.objects.get_or_create(phrase=PHRASE[lang], defaults={"meaning": "journalist"})
    screening_rules_changed()
    first = make_ticket(actor=org["users"]["dispatcher"])

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
    page.get_by_label(labelled(t("Customer phone"))).fill("138 0013 8000")
    page.get_by_label(labelled(t("Title"))).fill({"zh": "话费又多扣", "en": "Overcharged again"}[lang])
    # The screening asks again once the description is typed (the request carrying it).
    with page.expect_response(lambda r: "/tickets/new/screen/" in r.url and PHRASE[lang] in unquote_plus(r.url)):
        page.get_by_label(labelled(t("Description"))).fill(DESCRIPTION[lang])
    agent.htmx_settled()
    # Before it is sent: the repeat link it will get and the phrase that makes it special.
    screening = page.locator("#screening")
    expect(screening).to_contain_text(first.number)
    expect(screening.locator("mark.phrase")).to_have_text(PHRASE[lang])
    agent.axe("registration with the screening")
    agent.shot(f"repeat-register-{lang}")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Register"), exact=True).click()
    agent.guard.check()

    repeat = Ticket.objects.exclude(pk=first.pk).get()
    assert repeat.repeat_of_id == first.pk and repeat.special
    badges = page.locator(".ticket-head .badge-flag")
    expect(badges.filter(has_text=t(TicketFlag.REPEAT.label))).to_have_count(1)
    expect(badges.filter(has_text=t(TicketFlag.SPECIAL.label))).to_have_count(1)
    chain = page.locator("#repeat-chain li")
    expect(chain).to_have_count(2)
    expect(chain.nth(0)).to_contain_text(first.number)
    expect(chain.nth(0)).to_contain_text(t("First ticket"))
    expect(chain.nth(1)).to_contain_text(repeat.number)
    expect(page.locator("#special-case mark.phrase")).to_have_text(PHRASE[lang])
    agent.axe("ticket page with the repeat chain")
    agent.shot(f"repeat-chain-{lang}")
    # The first ticket's page shows the same chain, from the other end.
    with page.expect_navigation():
        chain.nth(0).get_by_role("link", name=first.number, exact=True).click()
    expect(page.locator("#repeat-chain li")).to_have_count(2)

    # The dispatcher finds it in the "Repeat complaints" list and unlinks it, with a reason.
    dispatcher = people(lang).login("dispatcher")
    dispatcher.open_from_worklist(t("Repeat complaints"), repeat.number)
    label = t(Action.UNLINK_REPEAT.label)
    notice = dispatcher.act(label, {t("Why this is not a repeat of the first ticket"):
                                    {"zh": "客户家人的另一号码问题", "en": "Another family member's line"}[lang]})
    assert label in notice
    dpage = dispatcher.page
    expect(dpage.locator(".ticket-head .badge-flag").filter(has_text=t(TicketFlag.REPEAT.label))).to_have_count(0)
    expect(dpage.locator("#repeat-chain")).to_have_count(0)
    expect(dpage.locator(".timeline")).to_contain_text(t("Unlinked from the first ticket"))
    repeat.refresh_from_db()
    first.refresh_from_db()
    assert repeat.repeat_of_id is None and first.repeat_count == 0
