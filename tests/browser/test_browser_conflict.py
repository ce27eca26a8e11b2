"""Two sessions open the same ticket page; one acts; the other then acts from its stale page and
gets a clear message naming who changed the ticket and its fresh state — the page as it now
is, not an error page."""

import pytest
from browserkit import text_of, tr
from playwright.sync_api import expect

from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.vocabulary import Action, State

CASES = {
    # lang: (first, second, the ticket's state before, the first's action and fields, the
    #        stale second's action and fields, the state after)
    "zh": ("supervisor", "dispatcher", State.AWAITING_DISPATCH,
           (Action.DISPATCH, {"Department": "计费账务部"}),
           (Action.DISPATCH, {"Department": "网络运维部"}), State.DISPATCHED),
    "en": ("head", "handler", State.DISPATCHED,
           (Action.ACKNOWLEDGE, {}), (Action.ACKNOWLEDGE, {}), State.IN_PROGRESS),
}


@pytest.mark.parametrize("lang,javascript", [("zh", True), ("en", True), ("zh", False)],
                         ids=["zh", "en", "zh-no-javascript"])
def test_stale_page_gets_a_conflict_message_and_the_fresh_state(people, org, make_ticket, lang,
                                                                javascript):
    """With JavaScript the form swaps the page part (htmx); without, POST → redirect → GET."""
    first_user, second_user, before, (action1, fields1), (action2, fields2), after = CASES[lang]
    u = org["users"]
    ticket = make_ticket()
    t.ticket_review(ticket_id=ticket.pk, actor=u["dispatcher"], valid=True)
    if before == State.DISPATCHED:
        t.ticket_dispatch(ticket_id=ticket.pk, actor=u["dispatcher"], department="billing")

    def tt(text):
        return tr(lang, text)

    first = people(lang, javascript=javascript).login(first_user)
    second = people(lang, javascript=javascript).login(second_user)
    for person in (first, second):
        person.goto(f"/tickets/{ticket.pk}/")
        expect(person.state_badge()).to_have_text(tt(before.label))

    first.act(tt(action1.label), {tt(k): v for k, v in fields1.items()})
    expect(first.state_badge()).to_have_text(tt(after.label))

    # The second's page is stale: it still offers the action, with the old version.
    expect(second.state_badge()).to_have_text(tt(before.label))
    notice = second.act(tt(action2.label), {tt(k): v for k, v in fields2.items()}, expect_done=False)
    page = second.page
    if javascript:
        assert page.locator("#ticket-main .notice").get_attribute("role") == "alert"
    else:
        assert "message-warning" in page.locator("ul.messages > li").get_attribute("class")
    assert tt(after.label) in notice, notice
    assert u[{"head": "dept_head"}.get(first_user, first_user)].display_name in notice, notice
    assert tt("Done: %(action)s. The ticket is now “%(state)s”.").split("%")[0] not in notice
    # The fresh state, on the ticket page itself (not an error page), nothing done twice.
    expect(second.state_badge()).to_have_text(tt(after.label))
    assert ticket.number in text_of(page.get_by_role("heading", level=1))
    ticket.refresh_from_db()
    assert ticket.state == after
    if action2 == Action.DISPATCH:
        assert ticket.lead_department.code == "billing"
    # Reloaded, the page offers only what may be done now.
    second.goto(f"/tickets/{ticket.pk}/")
    expect(second.state_badge()).to_have_text(tt(after.label))
    assert tt(action2.label) not in second.actions_offered()
