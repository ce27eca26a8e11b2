"""Root cause and corrective action in the browser (issue 11 §5), in both languages: at audit
the supervisor records the root cause and an accountability note on the ticket page and raises
a corrective action from the ticket; the owner (a handler) finds it in the CAPA worklist,
notes progress and submits it, and does not see the accountability note on the ticket; the
supervisor verifies the effect and closes it."""

import re

import pytest
from browserkit import labelled, text_of, tr
from playwright.sync_api import expect

from complaintdesk.capa.models import CorrectiveAction, RootCause
from complaintdesk.tickets.services import transitions as t

NOTE = {"zh": "扣发当月绩效，通报批评", "en": "Written warning for the agent"}


def _handled(make_ticket, users):
    ticket = make_ticket()
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"])
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=users["handler"])
    t.ticket_handle(ticket_id=ticket.pk, actor=users["handler"], notes="已退费", cause="service",
                    responsible_department="billing", responsible_person="李四")
    return ticket


def _step(me, lang, label: str, text: str):
    page = me.page
    box = page.locator("details.action").filter(has=page.locator("summary", has_text=re.compile(
        rf"^\s*{re.escape(tr(lang, label))}\s*$")))
    assert box.count() == 1, [s.strip() for s in page.locator("details.action > summary").all_inner_texts()]
    box.locator("summary").click()
    box.get_by_label(labelled(tr(lang, "Note"))).fill(text)
    with page.expect_navigation():
        box.get_by_role("button", name=tr(lang, label), exact=True).click()
    me.guard.check()
    expect(page.locator("ul.messages > li")).to_contain_text(tr(lang, label))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_capa_from_ticket_to_closure(people, org, make_ticket, lang):
    users = org["users"]
    ticket = _handled(make_ticket, users)
    # A live-server test's database is flushed between tests: the seeded tree may be gone.
    if not RootCause.objects.filter(code="rc-service-attitude").exists():
        RootCause.add_root(code="rc-service", name="服务", name_en="Service", cause="service").add_child(
            code="rc-service-attitude", name="服务态度", name_en="Staff attitude")

    def tt(text):
        return tr(lang, text)

    # 1. The supervisor audits: the panel on the ticket page records the root cause and the note.
    sup = people(lang).login("supervisor")
    page = sup.page
    sup.goto(f"/tickets/{ticket.pk}/")
    panel = page.locator("#capa-panel")
    expect(panel.get_by_role("heading", name=tt("Root cause and corrective actions"))).to_be_visible()
    panel.locator("summary", has_text=tt("Record the root cause")).click()
    sup.fill(panel.get_by_label(labelled(tt("Root cause"))), {"zh": "服务态度", "en": "Staff attitude"}[lang])
    panel.get_by_label(labelled(tt("Cause analysis"))).fill("客服未解释资费")
    panel.get_by_label(labelled(tt("Penalty or accountability note (责任追究)"))).fill(NOTE[lang])
    with page.expect_response(lambda r: r.request.method == "POST"):
        panel.get_by_role("button", name=tt("Record the root cause")).click()
    panel = page.locator("#capa-panel")
    expect(panel.locator(".notice")).to_contain_text(tt("The root cause is recorded."))
    expect(panel.locator("[data-field=accountability]")).to_contain_text(NOTE[lang])
    sup.axe("ticket page with the CAPA panel")

    # 2. … and raises a corrective action from the ticket.
    with page.expect_navigation():
        panel.get_by_role("link", name=tt("Raise a corrective action from this ticket")).click()
    sup.guard.check()
    form = page.locator("form.capa-form")
    form.get_by_label(labelled(tt("What is to be done"))).fill("增加订购二次确认短信")
    sup.fill(form.get_by_label(labelled(tt("Owner"))), "handler (")
    form.get_by_label(labelled(tt("Deadline in working days"))).fill("3")
    sup.axe("raise form")
    with page.expect_navigation():
        form.get_by_role("button", name=tt("Raise the action")).click()
    sup.guard.check()
    action = CorrectiveAction.objects.get()
    assert page.url.endswith(f"/capa/{action.pk}/")
    expect(page.locator("[data-field=state]")).to_contain_text(tt("Open, not started"))

    # 3. The owner finds it in the worklist, notes progress, submits it.
    owner = people(lang).login("handler")
    owner.goto("/capa/")
    with owner.page.expect_navigation():
        owner.page.get_by_role("link", name=action.number, exact=True).click()
    owner.axe("action page")
    _step(owner, lang, "Note progress", "流程已梳理")
    _step(owner, lang, "Submit for verification", "二次确认短信已上线")
    expect(owner.page.locator("[data-field=state]")).to_contain_text(tt("Awaiting verification of effect"))
    # The owner (a handler) sees the root cause on the ticket, never the accountability note.
    owner.goto(f"/tickets/{ticket.pk}/")
    expect(owner.page.locator("#capa-panel [data-field=root_cause]")).to_be_visible()
    assert NOTE[lang] not in text_of(owner.page.locator("main"))
    expect(owner.page.locator("#capa-panel").get_by_role("link", name=action.number)).to_be_visible()

    # 4. The supervisor verifies the effect and closes the action.
    sup.goto(f"/capa/{action.pk}/")
    _step(sup, lang, "Verify: effective", "一个月内无同类投诉")
    _step(sup, lang, "Close the action", "")
    expect(page.locator("[data-field=state]")).to_contain_text(tt("Closed"))
    expect(page.locator("[data-field=effective]")).to_contain_text(tt("Effective"))
    events = page.locator(".capa-timeline li")
    expect(events).to_have_count(5)
    sup.goto("/capa/?state=closed")
    expect(page.get_by_role("link", name=action.number, exact=True)).to_be_visible()
