"""The statistics page in a real browser, both languages: the table by two dimensions with its
totals, the chart drawn from the page's data with the app's Chart.js, the KPIs with their
formulas, axe, and a drill-down from a cell to the worklist listing the same tickets."""

import datetime as dt

import pytest
from django.utils import timezone

from complaintdesk.stats.services.rollup import rollup_rebuild
from complaintdesk.tickets.models import Ticket

TEXT = {
    "zh": {"title": "统计分析", "kpis": "主要指标", "formula": "公式", "hotline": "热线", "complaint": "投诉",
           "show": "查询"},
    "en": {"title": "Statistics", "kpis": "Key figures", "formula": "Formula", "hotline": "Hotline",
           "complaint": "Complaint", "show": "Show"},
}


@pytest.fixture
def counted(org, users, make_ticket):
    now = timezone.now()
    plan = [("hotline", "complaint", "p-a"), ("hotline", "complaint", "p-b"), ("hotline", "inquiry", "p-a"),
            ("counter", "complaint", "p-a-1"), ("email", "complaint", "p-b")]
    for i, (channel, kind, unit) in enumerate(plan):
        cat, elements = (("billing-overcharge", {"account_phone": "13800138000", "month": "2026-10-01",
                                                 "amount": "58"})
                         if kind == "complaint" else ("inquiry-tariff", {}))
        t = make_ticket(channel=channel, kind=kind, category=cat, org_unit=unit, elements=elements,
                        phone=f"1380013{8100 + i:04d}")
        Ticket.objects.filter(pk=t.pk).update(created_at=now - dt.timedelta(hours=i))
    rollup_rebuild()
    return now


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_statistics_and_drill_down(people, counted, lang):
    t = TEXT[lang]
    me = people(lang).login("supervisor")
    me.page.emulate_media(reduced_motion="reduce")
    today = timezone.localdate()
    start = (today - dt.timedelta(days=2)).isoformat()
    me.goto(f"/statistics/?rows=channel&cols=kind&date_from={start}&date_to={today.isoformat()}")
    page = me.page
    assert page.get_by_role("heading", level=1).inner_text() == t["title"]
    table = page.locator("#stats-table")
    hotline = table.locator("tbody tr", has=page.get_by_role("rowheader", name=t["hotline"]))
    # Hotline × complaint: two tickets; the row's total three; the grand total five.
    complaint_col = [c.strip() for c in table.locator("thead th").all_inner_texts()].index(t["complaint"])
    cell = hotline.locator("td").nth(complaint_col - 1)
    assert cell.inner_text().strip() == "2"
    assert table.locator("tfoot td").nth(len(table.locator("thead th").all()) - 5).inner_text().strip() == "5"
    page.wait_for_function("() => window.Chart !== undefined && window.Chart.getChart(document.getElementById('stats-chart'))")
    assert page.get_by_role("heading", level=2, name=t["kpis"]).is_visible()
    assert page.get_by_role("columnheader", name=t["formula"]).is_visible()
    me.axe("statistics")
    if lang == "zh":
        assert me.english_phrases() == [], me.english_phrases()
    me.shot(f"statistics-{lang}")

    # The drill-down: the cell's link opens the worklist with the same two tickets.
    with page.expect_navigation():
        cell.get_by_role("link").click()
    assert "/work/all/" in page.url and "channel=hotline" in page.url and "kind=complaint" in page.url
    rows = page.locator("table.wl-table tbody tr")
    assert rows.count() == 2
    me.guard.check()

    # Keyboard: the period rows by week, Enter on the button.
    me.goto("/statistics/")
    page.locator("#id_rows").select_option("period")
    page.locator("#id_period").select_option("week")
    page.locator("#id_period").focus()
    me.tab_to(page.get_by_role("button", name=t["show"]))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "rows=period" in page.url and "period=week" in page.url
    me.axe("statistics by week")
    me.guard.check()
