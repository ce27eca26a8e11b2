"""Issue 12 §2 and §3 in a real browser, in both languages:
- a failed callback attempt is rescheduled (the ticket callback worklist shows the new time and
  the outcome), and the last allowed failed attempt closes the ticket as "callback failed";
- the complaint ledger lists a breached case; its dossier page shows the snapshot and takes a
  department head's instruction (批示), which the list then counts.
Screenshots: docs/screenshots/ticket-callbacks-*.png, callback-attempt-*.png, ledger-*.png,
dossier-*.png."""

import datetime as dt

import pytest
from browserkit import exact, tr
from django.utils import timezone

from complaintdesk.sla.models import DossierNote, TicketClock
from complaintdesk.sla.services.scan import sla_scan
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.services import transitions as t

H = dt.timedelta(hours=1)


@pytest.fixture
def replied(users, make_ticket):
    ticket = make_ticket(title="宽带退费后仍扣费")
    tid = ticket.pk
    t.ticket_review(ticket_id=tid, actor=users["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=tid, actor=users["dispatcher"])
    t.ticket_acknowledge(ticket_id=tid, actor=users["handler"])
    t.ticket_handle(ticket_id=tid, actor=users["handler"], notes="已核实并退费", cause="service")
    t.ticket_audit(ticket_id=tid, actor=users["dispatcher"], approve=True)
    t.ticket_reply(ticket_id=tid, actor=users["intake_agent"], text="已退还58元")
    return Ticket.objects.get(pk=tid)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_failed_callback_is_rescheduled_and_the_last_one_closes_the_ticket(people, replied, settings, lang):
    settings.CALLBACK_MAX_ATTEMPTS = 2
    me = people(lang).login("agent")
    page = me.page
    me.goto("/callbacks/tickets/")
    row = page.locator(f'#callback-list tr[data-ticket="{replied.pk}"]')
    assert row.count() == 1 and "0 / 2" in row.inner_text()
    me.axe("ticket callbacks")
    if lang == "zh":
        assert me.english_phrases() == []
    with page.expect_navigation():
        row.get_by_role("link", name=replied.number).click()

    attempt = tr(lang, "Record a callback attempt")
    when = timezone.localtime(timezone.now() + 5 * H).replace(second=0, microsecond=0)
    me.act(attempt, {tr(lang, "Call again at"): when.strftime("%Y-%m-%dT%H:%M"),
                     tr(lang, "Note"): "客户未接听，稍后再拨"}, radios=(tr(lang, "No answer"),))
    assert me.state_badge().inner_text().strip() == tr(lang, "Awaiting callback")
    again = Ticket.objects.get(pk=replied.pk)
    assert again.callback_attempts == 1 and timezone.localtime(again.callback_due_at) == when
    assert page.locator("#ticket-callback-round").inner_text().startswith("1 / 2")
    timeline = page.locator("#ticket-main")
    assert tr(lang, "Callback attempt") in timeline.inner_text()
    me.axe("ticket page after an attempt")
    me.action_box(attempt).locator("summary").click()
    me.shot(f"callback-attempt-{lang}")

    me.goto("/callbacks/tickets/")
    row = page.locator(f'#callback-list tr[data-ticket="{replied.pk}"]')
    text = row.inner_text()
    assert "1 / 2" in text and tr(lang, "No answer") in text and when.strftime("%Y-%m-%d %H:%M") in text
    me.shot(f"ticket-callbacks-{lang}")

    me.goto(f"/tickets/{replied.pk}/")
    me.act(attempt, radios=(tr(lang, "Phone switched off"),))
    assert me.state_badge().inner_text().strip() == tr(lang, "Closed")
    assert tr(lang, "Callback failed") in page.locator("#ticket-main").inner_text()
    closed = Ticket.objects.get(pk=replied.pk)
    assert (closed.state, closed.resolution, closed.callback_attempts) == ("closed", "callback_failed", 2)
    me.goto("/callbacks/tickets/")
    assert page.locator(f'#callback-list tr[data-ticket="{replied.pk}"]').count() == 0
    me.guard.check()


@pytest.fixture
def breached(users, make_ticket):
    ticket = make_ticket(title="话费多扣三天无人处理")
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"], department="billing")
    t.ticket_urge(ticket_id=ticket.pk, actor=users["supervisor"], note="请今天内联系客户")
    TicketClock.objects.filter(ticket=ticket).delete()
    now = timezone.now()
    TicketClock.objects.create(ticket=ticket, clock="handle", cycle=0, state="running",
                               started_at=now - 13 * H, due_at=now - H)
    sla_scan(now=now)
    return Ticket.objects.get(pk=ticket.pk)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_dossier_takes_a_department_heads_instruction(people, breached, lang):
    me = people(lang).login("head")
    page = me.page
    me.goto("/ledger/")
    row = page.locator("#ledger-list tbody tr").filter(has_text=breached.number)
    assert row.count() == 1
    me.axe("ledger")
    if lang == "zh":
        assert me.english_phrases() == []
    with page.expect_navigation():
        row.get_by_role("link", name=breached.number).click()
    history = page.locator("#dossier-history")
    assert tr(lang, "Urged") in history.inner_text() and "请今天内联系客户" in history.inner_text()

    form = page.locator("#dossier-form-instruction")
    button = form.get_by_role("button", name=exact(tr(lang, "Record the instruction")))
    button.click()  # empty: the textarea is required, the browser sends nothing
    assert DossierNote.objects.count() == 0
    form.get_by_label(tr(lang, "Instruction (批示)")).fill("同意退还58元，三日内回复客户并致歉。")
    with page.expect_navigation():
        button.click()
    notes = page.locator("#dossier-instructions")
    assert "同意退还58元" in notes.inner_text()
    assert "head" in notes.inner_text()
    me.axe("dossier")
    if lang == "zh":
        assert me.english_phrases() == []
    me.shot(f"dossier-{lang}")
    page.emulate_media(media="print")
    assert not page.locator("#dossier-form-instruction").is_visible()  # forms are not printed
    assert not page.locator("header.topbar").is_visible()
    me.shot(f"dossier-print-{lang}")
    page.emulate_media(media="screen")

    me.goto("/ledger/")
    row = page.locator("#ledger-list tbody tr").filter(has_text=breached.number)
    expected = "1 条批示" if lang == "zh" else "1 instruction"
    assert expected in row.locator("td").last.inner_text()  # the list counts it
    me.shot(f"ledger-{lang}")
    me.guard.check()
