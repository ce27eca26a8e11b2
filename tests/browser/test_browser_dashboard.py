"""The dashboard in a real browser: the charts are drawn from the page's own data with the
app's Chart.js (nothing from outside), the page passes axe, the filter form works from the
keyboard, and it fits a phone screen. Screenshots: docs/screenshots/dashboard-*.png."""

import datetime as dt

import pytest
from browserkit import PHONE
from django.utils import timezone

from complaintdesk.tickets.models import Assignment, Ticket, TicketEvent

TEXT = {
    "zh": {"title": "统计看板", "show": "查询", "unit": "机构（含下属机构）", "dept": "未结工单（按部门）"},
    "en": {"title": "Dashboard", "show": "Show", "unit": "Org unit (and everything under it)",
           "dept": "Open tickets by department"},
}
CHARTS = ["chart-channels", "chart-states", "chart-departments", "chart-satisfaction", "chart-trend"]


@pytest.fixture
def some_tickets(org, users, make_ticket, settings):
    settings.REPORTS_DASHBOARD_CACHE_SECONDS = 0  # the figures of this test's data, not a cached board
    now = timezone.now()
    plan = [
        ("p-a", "hotline", "registered", None, "ok", 0),
        ("p-a", "counter", "in_progress", org["billing"], "overdue", 0),
        ("p-b", "web_portal", "dispatched", org["network"], "at_risk", 0),
        ("p-a-1", "hotline", "in_progress", org["billing"], "at_risk", 2),
        ("p-b", "email", "awaiting_audit", org["network"], "ok", 5),
        ("p-a", "app", "closed", None, "ok", 9),
    ]
    for i, (unit, channel, state, dept, sla, days) in enumerate(plan):
        t = make_ticket(channel=channel, org_unit=unit)
        at = now - dt.timedelta(days=days)
        Ticket.objects.filter(pk=t.pk).update(created_at=at, state=state, lead_department=dept, sla_status=sla)
        if dept is not None:
            Assignment.objects.create(ticket_id=t.pk, department=dept, role="lead", dispatched_at=at,
                                      dispatched_by=users["dispatcher"])
        TicketEvent.objects.create(ticket_id=t.pk, type="called_back", created_at=now - dt.timedelta(days=i),
                                   payload={"satisfaction": ["satisfied", "satisfied", "neutral",
                                                             "dissatisfied", "satisfied", "satisfied"][i]})


def _charts_drawn(page) -> list[str]:
    return page.evaluate(
        """(ids) => ids.filter(id => {
            const c = document.getElementById(id);
            return c && window.Chart && window.Chart.getChart(c) && c.width > 0;
        })""",
        CHARTS,
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dashboard_in_the_browser(people, some_tickets, lang):
    me = people(lang).login("supervisor")
    me.page.emulate_media(reduced_motion="reduce")  # charts drawn at once (no animation)
    me.goto("/dashboard/")
    page = me.page
    t = TEXT[lang]
    assert page.get_by_role("heading", level=1).inner_text() == t["title"]
    assert page.get_by_role("heading", level=2, name=t["dept"]).is_visible()
    page.wait_for_function("() => window.Chart !== undefined")
    assert _charts_drawn(page) == CHARTS
    me.axe("dashboard")
    me.shot(f"dashboard-{lang}")

    # Keyboard only: choose a unit, Tab to the button, Enter: the page narrows to that unit.
    page.get_by_label(t["unit"]).select_option("p-b")
    page.get_by_label(t["unit"]).focus()
    me.tab_to(page.get_by_role("button", name=t["show"]))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "org_unit=p-b" in page.url
    assert page.get_by_label(t["unit"]).input_value() == "p-b"
    assert _charts_drawn(page) == CHARTS
    me.axe("dashboard filtered")
    me.guard.check()


def test_dashboard_on_a_phone(people, some_tickets):
    me = people("zh", PHONE).login("leader")
    me.page.emulate_media(reduced_motion="reduce")
    me.goto("/dashboard/")
    page = me.page
    page.wait_for_function("() => window.Chart !== undefined")
    assert _charts_drawn(page) == CHARTS
    # Nothing wider than the screen: no sideways scrolling of the page.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    me.axe("dashboard on a phone")
    me.shot("dashboard-phone-zh")
