"""One whole ticket journey in a real browser, once in each language, each step by the right
role in its own browser context (own session): the customer files on the portal → review →
dispatch → acknowledge → handle → audit reject → handle again → audit accept → reply →
callback "dissatisfied" (the ticket reopens) → dispatch → acknowledge → handle → audit accept
→ reply → callback "satisfied" (closed) → the customer looks the case up and sees it closed.

Only the visible UI is used: links, labels and button names in the user's language (from the
app's own catalogues); the ticket page is checked for its state after every step."""

import pytest
from browserkit import (
    CUSTOMER_PHONE,
    DESCRIPTION,
    PHONE,
    has_cjk,
    portal_file,
    portal_lookup,
    text_of,
    tr,
    trn,
)
from playwright.sync_api import expect

from complaintdesk.portal.workflow import PublicStatus
from complaintdesk.tickets.services import transitions as tx
from complaintdesk.tickets.vocabulary import Action, Cause, Satisfaction, State


@pytest.fixture
def portal_settings(settings):
    # The check question refuses answers typed within 3 s (robots); a test types at once.
    settings.PORTAL_CHALLENGE_MIN_SECONDS = 0


class Desk:
    """The staff of the org fixture, each signed in in their own browser context."""

    def __init__(self, people, lang):
        self.lang = lang
        self.people = people
        self._signed_in = {}
        self.ticket_id = None

    def __call__(self, username):
        if username not in self._signed_in:
            me = self._signed_in[username] = self.people(self.lang).login(username)
            me.nav = [text_of(a) for a in me.page.get_by_role("navigation").get_by_role("link").all()]
        return self._signed_in[username]

    def t(self, text):
        return tr(self.lang, text)

    def step(self, username, worklist, number, action, fields=None, radios=(), *, before, after,
             keyboard=False):
        """Find the ticket in a worklist (or, with worklist None, open its page again), check
        its state, take the action, check the new state."""
        me = self(username)
        if worklist:
            self.ticket_id = me.open_from_worklist(self.t(worklist), number)
        else:
            me.goto(f"/tickets/{self.ticket_id}/")
        expect(me.state_badge()).to_have_text(self.t(before.label))
        notice = me.act(self.t(action.label), fields, radios, keyboard=keyboard)
        expect(me.state_badge()).to_have_text(self.t(after.label))
        assert self.t(after.label) in notice  # "Done: … The ticket is now “…”."
        return me


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_whole_journey(people, org, portal_settings, lang):
    t = lambda text: tr(lang, text)  # noqa: E731
    desk = Desk(people, lang)
    billing = {"zh": "计费账务部", "en": "Billing"}[lang]

    # The customer files on the portal, on a phone, and gets a tracking code.
    customer = people(lang, PHONE)
    photo = {"zh": "账单截图.png", "en": "bill.png"}[lang]
    number, code = portal_file(customer, keyboard=True, attachment=photo)
    assert customer.overflow_x() == 0, "the portal page scrolls sideways on a phone"
    assert len(code.replace("-", "").replace(" ", "")) >= 10, code
    assert portal_lookup(customer, code) == t(PublicStatus.LABELS[PublicStatus.RECEIVED])

    # The centre reviews it (valid) and dispatches it to the billing department.
    reviewer = desk.step("dispatcher", "To review", number, Action.REVIEW_VALID,
                         before=State.REGISTERED, after=State.AWAITING_DISPATCH, keyboard=True)
    page = reviewer.page
    assert page.locator("html").get_attribute("lang") == {"zh": "zh-Hans", "en": "en"}[lang]
    if lang == "zh":
        assert has_cjk(text_of(reviewer.state_badge()))
    assert DESCRIPTION[lang] in text_of(page.locator(".description"))
    # The customer's photo came with the ticket.
    assert page.get_by_role("link", name=photo).count() == 1
    offered = reviewer.actions_offered()
    assert t(Action.DISPATCH.label) in offered
    assert t(Action.ACKNOWLEDGE.label) not in offered and t(Action.HANDLE.label) not in offered

    desk.step("dispatcher", "To dispatch", number, Action.DISPATCH, {t("Department"): billing},
              before=State.AWAITING_DISPATCH, after=State.DISPATCHED)

    # The department acknowledges and handles.
    handler = desk.step("handler", "My department's to acknowledge", number, Action.ACKNOWLEDGE,
                        before=State.DISPATCHED, after=State.IN_PROGRESS)
    assert t(Action.AUDIT_APPROVE.label) not in handler.actions_offered()
    notes = {"zh": "经核查，客户于10月被误订视频彩铃，已退订并退还58元。",
             "en": "The video ringtone was ordered by mistake in October; cancelled, 58 yuan refunded."}[lang]
    handling = {t("Handling notes (answer every point raised)"): notes,
                t("Cause"): t(Cause.SALES.label)}
    handler.act(t(Action.HANDLE.label), handling)
    expect(handler.state_badge()).to_have_text(t(State.AWAITING_AUDIT.label))

    # The centre's audit rejects the handling; the handler handles again; the audit accepts.
    desk.step("supervisor", "To audit", number, Action.AUDIT_REJECT, keyboard=True, fields=
              {t("What must change"): {"zh": "请说明误订的原因和责任人。",
                                       "en": "Say why it was ordered and who is responsible."}[lang]},
              before=State.AWAITING_AUDIT, after=State.IN_PROGRESS)
    again = {**handling, t("Responsible person"): {"zh": "李明", "en": "Li Ming"}[lang]}
    desk.step("handler", "To handle", number, Action.HANDLE, again,
              before=State.IN_PROGRESS, after=State.AWAITING_AUDIT)
    desk.step("supervisor", "To audit", number, Action.AUDIT_APPROVE,
              before=State.AWAITING_AUDIT, after=State.AWAITING_REPLY)

    # Reply; the callback finds the customer dissatisfied: the ticket reopens (to dispatch).
    reply = {"zh": "您好，多扣的58元已退回，视频彩铃已退订。", "en": "The 58 yuan were refunded and the ringtone cancelled."}[lang]
    desk.step("agent", "To reply", number, Action.REPLY, {t("What the customer was told"): reply},
              before=State.AWAITING_REPLY, after=State.AWAITING_CALLBACK)
    agent = desk.step("agent", "To call back", number, Action.CALLBACK,
                      {t("Note"): {"zh": "客户认为退费太慢。", "en": "The refund took too long."}[lang]},
                      radios=(t(Satisfaction.DISSATISFIED.label),),
                      before=State.AWAITING_CALLBACK, after=State.AWAITING_DISPATCH)
    timeline = text_of(agent.page.locator(".timeline"))
    assert t(Satisfaction.DISSATISFIED.label) in timeline
    assert trn(lang, "Reopened %(n)s time", "Reopened %(n)s times", 1) in text_of(agent.page.locator(".ticket-badges"))

    # Handled again, round two (the pages opened from the browser's address bar this time).
    desk.step("dispatcher", None, number, Action.DISPATCH, {t("Department"): billing},
              before=State.AWAITING_DISPATCH, after=State.DISPATCHED)
    desk.step("handler", None, number, Action.ACKNOWLEDGE,
              before=State.DISPATCHED, after=State.IN_PROGRESS)
    desk.step("handler", None, number, Action.HANDLE, again,
              before=State.IN_PROGRESS, after=State.AWAITING_AUDIT)
    desk.step("supervisor", None, number, Action.AUDIT_APPROVE,
              before=State.AWAITING_AUDIT, after=State.AWAITING_REPLY)
    desk.step("agent", None, number, Action.REPLY, {t("What the customer was told"): reply},
              before=State.AWAITING_REPLY, after=State.AWAITING_CALLBACK)
    desk.step("agent", None, number, Action.CALLBACK,
              radios=(t(Satisfaction.SATISFIED.label),),
              before=State.AWAITING_CALLBACK, after=State.CLOSED)

    # Each role had the navigation of its work.
    nav = {name: desk(name).nav for name in ("agent", "dispatcher", "handler", "supervisor")}
    assert all(t("Worklists") in links for links in nav.values()), nav
    assert t("Register a ticket") in nav["agent"] and t("Register a ticket") not in nav["handler"], nav
    assert t("Dashboard") in nav["supervisor"] and t("Dashboard") not in nav["handler"], nav

    # The customer looks the case up by code and phone: closed, with the reply.
    assert portal_lookup(customer, code, CUSTOMER_PHONE) == t(PublicStatus.LABELS[PublicStatus.CLOSED])
    assert reply in text_of(customer.page.locator("#case-reply"))
    assert customer.overflow_x() == 0, "the case page scrolls sideways on a phone"


def test_close_and_reopen_forms(people, org, make_ticket):
    """The centre closes a ticket waiting for its callback (with a reason), then reopens it."""
    lang = "zh"
    u = org["users"]
    ticket = make_ticket()
    tx.ticket_review(ticket_id=ticket.pk, actor=u["dispatcher"], valid=True)
    tx.ticket_dispatch(ticket_id=ticket.pk, actor=u["dispatcher"], department="billing")
    tx.ticket_acknowledge(ticket_id=ticket.pk, actor=u["handler"])
    tx.ticket_handle(ticket_id=ticket.pk, actor=u["handler"], notes="已退费。", cause="sales")
    tx.ticket_audit(ticket_id=ticket.pk, actor=u["supervisor"], approve=True)
    tx.ticket_reply(ticket_id=ticket.pk, actor=u["intake_agent"], text="已退费。")
    desk = Desk(people, lang)
    t = desk.t
    me = desk("supervisor")
    me.goto(f"/tickets/{ticket.pk}/")
    expect(me.state_badge()).to_have_text(t(State.AWAITING_CALLBACK.label))
    # A reason is required: refused, the field says why, the page stays.
    notice = me.act(t(Action.CLOSE.label), {t("Reason"): ""}, expect_done=False)
    assert t("Check the fields marked below.") in notice
    box = me.action_box(t(Action.CLOSE.label))
    assert box.locator(".field-error").count() == 1
    me.act(t(Action.CLOSE.label), {t("Reason"): "客户多次联系不上，按规定结案。"})
    expect(me.state_badge()).to_have_text(t(State.CLOSED.label))
    me.act(t(Action.REOPEN.label), {t("Reason"): "客户来电表示问题仍未解决。"})
    expect(me.state_badge()).to_have_text(t(State.AWAITING_DISPATCH.label))
    assert trn(lang, "Reopened %(n)s time", "Reopened %(n)s times", 1) in text_of(me.page.locator(".ticket-badges"))
