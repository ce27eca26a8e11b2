"""A walk through the main pages, as the people who use them, for the accessibility test and
the screenshots: `walk(people, lang, seen)` calls seen(name, person) on each page."""

from __future__ import annotations

from collections.abc import Callable

from browserkit import PHONE, Person, labelled, portal_fill_filing, text_of, tr
from playwright.sync_api import expect

from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.vocabulary import Action

MAIN_PAGES = (
    "login", "worklists", "worklist", "register-errors", "ticket", "portal", "portal-file",
    "portal-filed", "portal-case", "dashboard",
)


def tickets_for_pages(org, make_ticket) -> dict:
    """A ticket to review, and one dispatched to billing and acknowledged: its page has a
    timeline, deadlines, a lead department and the handler's actions. Through the services."""
    u = org["users"]
    fresh = make_ticket(title="宽带无法上网", phone="13700137000")
    make_ticket(title="套餐外流量扣费", phone="13500135000")  # a second one to review
    moving = make_ticket()
    t.ticket_review(ticket_id=moving.pk, actor=u["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=moving.pk, actor=u["dispatcher"], department="billing")
    t.ticket_acknowledge(ticket_id=moving.pk, actor=u["handler"])
    return {"fresh": fresh, "moving": moving}


def deadline_policy() -> None:
    """001's figures for complaints (calendar time, so no working calendar is needed): the
    ticket page and the worklists then show deadlines and time left."""
    from complaintdesk.sla.models import ClockRule, Policy
    from complaintdesk.sla.services.policies import sla_config_changed

    policy = Policy.objects.create(name="投诉处理时限（五分钟转交、十二小时处理）",
                                   name_en="Complaints: forward in 5 minutes, handle in 12 hours",
                                   kind="complaint")
    for clock, amount, unit in (("dispatch", "5", "calendar_minutes"),
                                ("handle", "12", "calendar_hours"),
                                ("progress", "24", "calendar_hours"),
                                ("ticket", "72", "calendar_hours")):
        ClockRule.objects.create(policy=policy, clock=clock, amount=amount, unit=unit,
                                 warn_share="0.8", ladder=[])
    sla_config_changed()


def more_tickets(org, make_ticket, count: int = 24) -> None:
    """A fuller desk for the screenshots: tickets in several states, several categories and
    channels, all through the services."""
    u = org["users"]
    shapes = [
        dict(title="宽带经常断线", category="network-weak", kind="complaint", channel="counter",
             elements={}, description="家里宽带每天晚上断线三四次，已经报修两次没有解决。"),
        dict(title="资费套餐咨询", category="inquiry-tariff", kind="inquiry", channel="email",
             elements={}, description="想了解5G套餐的资费和合约期。"),
        dict(title="话费多扣", channel="hotline"),
        dict(title="流量包重复扣费", channel="web_portal",
             elements={"account_phone": "13600136000", "month": "2026-11-01", "amount": "30"}),
    ]
    for i in range(count):
        shape = dict(shapes[i % len(shapes)])
        shape["phone"] = f"1390000{i:04d}"
        ticket = make_ticket(**shape)
        step = i % 6
        if step >= 1:
            t.ticket_review(ticket_id=ticket.pk, actor=u["dispatcher"], valid=True)
        if step >= 2:
            department = "network" if shape.get("category") == "network-weak" else "billing"
            t.ticket_dispatch(ticket_id=ticket.pk, actor=u["dispatcher"], department=department)
        if step >= 3 and shape.get("category") != "network-weak":
            t.ticket_acknowledge(ticket_id=ticket.pk, actor=u["handler"])
        if step >= 4 and shape.get("category") != "network-weak":
            t.ticket_handle(ticket_id=ticket.pk, actor=u["handler"], notes="已核实并退费。",
                            cause="sales")


def open_all_details(person: Person) -> None:
    """Open every <details> (the ticket page's action forms) so that checks see their fields."""
    person.page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")


def walk(people, lang: str, tickets: dict, seen: Callable[[str, Person], None], *,
         only: tuple[str, ...] = MAIN_PAGES) -> None:
    def tt(text):
        return tr(lang, text)

    if "login" in only:
        visitor = people(lang)
        visitor.goto("/login/")
        seen("login", visitor)

    dispatcher = people(lang).login("dispatcher")
    page = dispatcher.page
    # The worklists home (sign-in lands there), then one list.
    expect(page.get_by_role("heading", level=1)).to_have_text(tt("Worklists"))
    seen("worklists", dispatcher)
    with page.expect_navigation():
        page.get_by_role("link", name=tt("To review"), exact=True).click()
    expect(page.get_by_role("link", name=tickets["fresh"].number, exact=True)).to_be_visible()
    seen("worklist", dispatcher)
    # Filtering from the keyboard: type in the search field, Tab to the button, Enter.
    rows = page.locator("table.wl-table tbody tr")
    assert rows.count() >= 2
    page.get_by_label(labelled(tt("Search")), exact=True).fill(tickets["fresh"].number)
    dispatcher.tab_to(page.get_by_role("button", name=tt("Apply filters"), exact=True))
    page.keyboard.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("link", name=tickets["fresh"].number, exact=True)).to_be_visible()

    if "register-errors" in only:
        # The registration form, submitted from the keyboard with the category's required
        # elements left empty and a wrong phone number: refused, every field named, nothing lost.
        agent = people(lang).login("agent")
        page = agent.page
        with page.expect_navigation():
            page.get_by_role("link", name=tt("Register a ticket")).click()
        # Each choice reloads a part of the form (htmx): wait for it before the next choice.
        with page.expect_response(lambda r: "/categories/" in r.url):
            agent.fill(page.get_by_label(labelled(tt("Ticket kind"))), tt("Complaint"))
        agent.htmx_settled()  # the new select is live only once htmx has processed it
        category = page.locator("#id_category")
        expect(category.locator("option", has_text={"zh": "多扣费", "en": "Overcharge"}[lang])).to_have_count(1)
        with page.expect_response(lambda r: "/elements/" in r.url):
            agent.fill(category, {"zh": "多扣费", "en": "Overcharge"}[lang])
        agent.htmx_settled()
        expect(page.get_by_label(labelled({"zh": "争议金额", "en": "Disputed amount"}[lang]))).to_be_visible()
        page.get_by_label(labelled(tt("Customer phone"))).fill("1380013800")  # 10 digits
        page.get_by_label(labelled(tt("Description"))).fill("话费多扣")
        register = page.get_by_role("button", name=tt("Register"), exact=True)
        page.get_by_label(labelled(tt("Description"))).focus()
        agent.tab_to(register)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        alert = page.get_by_role("alert").first
        expect(alert).to_be_visible()
        assert page.locator(".field-error").count() >= 2, text_of(page.locator("main"))[:500]
        assert page.get_by_label(labelled(tt("Customer phone"))).input_value() == "1380013800"
        assert page.get_by_label(labelled(tt("Description"))).input_value() == "话费多扣"
        seen("register-errors", agent)

    if "ticket" in only:
        handler = people(lang).login("handler")
        handler.goto(f"/tickets/{tickets['moving'].pk}/")
        assert tt(Action.HANDLE.label) in handler.actions_offered()
        seen("ticket", handler)

    customer = people(lang)
    if "portal" in only:
        customer.goto("/portal/")
        seen("portal", customer)
    if "portal-file" in only or "portal-filed" in only or "portal-case" in only:
        customer.goto("/portal/file/")
        portal_fill_filing(customer)
        seen("portal-file", customer)
        with customer.page.expect_navigation():
            customer.page.get_by_role("button", name=tt("Send"), exact=True).click()
        code = text_of(customer.page.locator("#tracking-code"))
        seen("portal-filed", customer)
        from browserkit import portal_lookup

        portal_lookup(customer, code)
        seen("portal-case", customer)

    if "dashboard" in only:
        supervisor = people(lang).login("supervisor")
        with supervisor.page.expect_navigation():
            supervisor.page.get_by_role("link", name=tt("Dashboard"), exact=True).click()
        expect(supervisor.page.get_by_role("heading", level=1)).to_have_text(tt("Dashboard"))
        supervisor.page.wait_for_load_state("networkidle")  # the charts' data
        seen("dashboard", supervisor)


def phone_sized(people, lang: str) -> Person:
    return people(lang, PHONE)
