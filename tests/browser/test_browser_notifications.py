"""A missed deadline reaches the supervisor's bell: the real deadline scan breaches a clock,
the bell in the top bar shows the unread count (htmx), the inbox lists the message and opens
the ticket, after which the count is gone. Also the settings page from the keyboard.
Screenshots: docs/screenshots/inbox-*.png."""

import datetime as dt

import pytest
from browserkit import tr, trn
from django.utils import timezone

from complaintdesk.notifications.models import Message
from complaintdesk.sla.models import ClockRule, Policy, TicketClock
from complaintdesk.sla.services.scan import sla_scan
from complaintdesk.tickets.services import transitions as t

H = dt.timedelta(hours=1)


@pytest.fixture
def breached(users, make_ticket):
    ticket = make_ticket(title="宽带断网三天无人处理")
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"], department="billing")
    TicketClock.objects.filter(ticket=ticket).delete()  # only the clock below
    policy = Policy.objects.create(name="测试策略", name_en="Test policy")
    rule = ClockRule.objects.create(policy=policy, clock="handle", amount=12, unit="working_hours",
                                    ladder=[{"after_minutes": 0, "notify": "supervisor"}])
    now = timezone.now()
    TicketClock.objects.create(ticket=ticket, clock="handle", cycle=0, rule=rule, state="running",
                               started_at=now - 13 * H, due_at=now - H)
    sla_scan(now=now)
    assert Message.objects.filter(recipient_user=users["supervisor"], template="clock_breached").count() == 1
    return ticket


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_breach_reaches_the_supervisors_bell(people, breached, lang):
    me = people(lang).login("supervisor")
    me.goto("/work/")
    page = me.page
    bell = page.locator("a.bell")
    unread = trn(lang, "%(n)s unread notification", "%(n)s unread notifications", 1)
    bell.locator(".bell-unread").wait_for()
    assert bell.locator(".bell-unread > span[aria-hidden]").inner_text() == "1"
    assert unread in bell.text_content()
    bell.click()
    page.wait_for_url("**/inbox/")
    item = page.locator(".inbox-item").first
    assert breached.number in item.inner_text()
    me.axe("inbox")
    me.shot(f"inbox-{lang}")
    # Opening it marks it read: the ticket page's bell has nothing unread.
    with page.expect_response(lambda r: r.url.endswith("/inbox/bell/")), page.expect_navigation():
        item.get_by_role("button", name=tr(lang, "Open the ticket")).click()
    assert page.url.endswith(f"/tickets/{breached.pk}/")
    me.htmx_settled()
    assert page.locator("a.bell .bell-unread").count() == 0
    me.guard.check()


def test_notification_settings_from_the_keyboard(people, users):
    me = people("en").login("handler")
    me.goto("/inbox/settings/")
    page = me.page
    box = page.get_by_label("A ticket we hold is urged: SMS")
    box.focus()
    page.keyboard.press("Space")
    me.tab_to(page.get_by_role("button", name="Save"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # No mobile number: refused at its field, the choice kept.
    assert "Give your mobile number to receive text messages." in page.inner_text("main")
    assert page.get_by_label("A ticket we hold is urged: SMS").is_checked()
    me.fill(page.get_by_label("Mobile for text messages"), "139 0000 1111")
    page.get_by_label("Quiet hours from").fill("22:00")
    page.get_by_label("Quiet hours until").fill("07:30")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert "Your notification settings are saved." in page.inner_text("main")
    assert page.get_by_label("A ticket we hold is urged: SMS").is_checked()
    assert page.get_by_label("Quiet hours until").input_value() == "07:30"
    me.axe("notification settings")
    me.shot("inbox-settings-en")
    me.guard.check()
