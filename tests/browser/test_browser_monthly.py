"""A monthly report walked from draft to published in a real browser, in both languages: the
supervisor generates the draft and writes the analysis, a leader approves it, the supervisor
publishes it; the page passes axe and shows no untranslated phrase on the Chinese page; the
charts (server-drawn SVG) load from the app; the PDF and xlsx download. Screenshots:
docs/screenshots/monthly-*.png (SCREENSHOTS=1)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from browserkit import tr
from playwright.sync_api import expect

from complaintdesk.monthly.models import Report
from complaintdesk.sla.models import TicketClock
from complaintdesk.stats.services.rollup import rollup_rebuild
from complaintdesk.tickets.models import Ticket

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def november(org, make_ticket):
    for i, (unit, day, sla) in enumerate([("p-a", 27, "overdue"), ("p-b", 3, "ok"), ("p-a-1", 12, "ok"),
                                          ("p-a", 20, "overdue")]):
        t = make_ticket(org_unit=unit, phone=f"1390002{i:04d}")
        month = 10 if day > 25 else 11
        created = dt.datetime(2026, month, day, 10, tzinfo=TZ)
        Ticket.objects.filter(pk=t.pk).update(created_at=created)
        if sla == "overdue":
            TicketClock.objects.create(ticket_id=t.pk, clock="handle", started_at=created,
                                       due_at=created + dt.timedelta(days=1), breached_at=created + dt.timedelta(days=1))
    rollup_rebuild()


def _step(me, label: str, lang: str):
    with me.page.expect_navigation():
        me.page.get_by_role("button", name=tr(lang, label), exact=True).click()
    me.guard.check()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_monthly_report_from_draft_to_published(people, november, lang):
    sup = people(lang).login("supervisor")
    sup.goto("/reports/")
    page = sup.page
    page.get_by_label(tr(lang, "Kind"), exact=True).select_option("monthly")
    page.get_by_label(tr(lang, "Report month (the month in which it ends)")).fill("2026-11")
    _step(sup, "Generate", lang)
    report = Report.objects.get()
    assert page.url.endswith(f"/reports/{report.pk}/")
    expect(page.locator("#rep-state")).to_have_text(tr(lang, "Draft"))
    expect(page.locator("#table-overdue_cases tbody tr")).to_have_count(2)
    # The charts are the app's own SVG, drawn on the server.
    for img in page.locator(".rep-charts img").all():
        assert page.evaluate("(el) => el.complete && el.naturalWidth > 0", img.element_handle())
    sup.axe("monthly report draft")
    if lang == "zh":
        assert sup.english_phrases() == []
    sup.shot(f"monthly-draft-{lang}")

    page.get_by_role("textbox", name=tr(lang, "Analysis")).fill("本月计费类投诉最多，超时两件。")
    page.get_by_role("textbox", name=tr(lang, "Suggestions")).fill("加强订购二次确认。")
    _step(sup, "Save the text", lang)
    _step(sup, "Submit for approval", lang)
    expect(page.locator("#rep-state")).to_have_text(tr(lang, "Submitted for approval"))

    leader = people(lang).login("leader")
    leader.goto(f"/reports/{report.pk}/")
    expect(leader.page.locator(".rep-prose").first).to_contain_text("本月计费类投诉最多")
    _step(leader, "Approve", lang)
    expect(leader.page.locator("#rep-state")).to_have_text(tr(lang, "Approved"))

    sup.goto(f"/reports/{report.pk}/")
    _step(sup, "Publish", lang)
    expect(page.locator("#rep-state")).to_have_text(tr(lang, "Published"))
    expect(page.get_by_role("button", name=tr(lang, "Save the text"))).to_have_count(0)
    sup.axe("monthly report published")
    sup.shot(f"monthly-published-{lang}")

    pdf = page.request.get(f"/reports/{report.pk}/report.pdf")
    assert pdf.ok and pdf.body()[:4] == b"%PDF"
    xlsx = page.request.get(f"/reports/{report.pk}/report.xlsx")
    assert xlsx.ok and xlsx.body()[:2] == b"PK"
    assert Report.objects.get().state == "published"
