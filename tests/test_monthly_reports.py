"""Monthly and half-year reports (issue 11 §3): periods, figures checked against counts made
straight from the tickets, the lifecycle with its one writer, the frozen published report,
the xlsx and PDF outputs, the reminder job, scope."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from complaintdesk.accounts.models import User
from complaintdesk.core.errors import Conflict, Forbidden, ValidationFailed
from complaintdesk.monthly import selectors, workflow
from complaintdesk.monthly.models import Report, ReportOwner, ReportStep
from complaintdesk.monthly.services import lifecycle, outputs
from complaintdesk.monthly.services.reminders import report_reminders_run
from complaintdesk.monthly.services.report_figures import report_figures
from complaintdesk.notifications.models import Message
from complaintdesk.sla.calendar import WorkingCalendar
from complaintdesk.sla.models import TicketClock
from complaintdesk.stats.services.rollup import rollup_rebuild
from complaintdesk.tickets.models import Ticket

TZ = ZoneInfo("Asia/Shanghai")
NOV = workflow.report_month_ending(2026, 11)  # 2026-10-26 … 2026-11-25


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=TZ)


# --- periods (pure) -------------------------------------------------------------------------------

def test_monthly_period_runs_from_the_26th_to_the_25th_due_the_28th():
    p = workflow.monthly_period(dt.date(2026, 11, 3))
    assert (p.start, p.end, p.due) == (dt.date(2026, 10, 26), dt.date(2026, 11, 25), dt.date(2026, 11, 28))
    assert workflow.monthly_period(dt.date(2026, 11, 25)) == p
    nxt = workflow.monthly_period(dt.date(2026, 11, 26))
    assert (nxt.start, nxt.end) == (dt.date(2026, 11, 26), dt.date(2026, 12, 25))
    jan = workflow.monthly_period(dt.date(2026, 12, 31))
    assert (jan.start, jan.end, jan.due) == (dt.date(2026, 12, 26), dt.date(2027, 1, 25), dt.date(2027, 1, 28))
    assert p.previous() == workflow.report_month_ending(2026, 10)
    assert workflow.last_finished_period("monthly", dt.date(2026, 11, 26)) == p
    assert workflow.last_finished_period("monthly", dt.date(2026, 11, 25)).end == dt.date(2026, 10, 25)


def test_half_year_periods_are_reported_in_july_and_january():
    h1 = workflow.half_year_period(dt.date(2026, 3, 1))
    assert (h1.start, h1.end, h1.due) == (dt.date(2025, 12, 26), dt.date(2026, 6, 25), dt.date(2026, 7, 28))
    h2 = workflow.half_year_period(dt.date(2026, 12, 20))
    assert (h2.start, h2.end, h2.due) == (dt.date(2026, 6, 26), dt.date(2026, 12, 25), dt.date(2027, 1, 28))
    assert workflow.half_year_period(dt.date(2026, 12, 26)).start == dt.date(2026, 12, 26)  # next H1
    assert h2.previous() == h1


def test_reminder_two_working_days_before_the_due_date():
    cal = WorkingCalendar()  # official holidays (2026 published)
    # 2026-11-28 is a Saturday: Friday 27th is one working day before, Thursday 26th two.
    assert workflow.reminder_day(cal, dt.date(2026, 11, 28)) == (dt.date(2026, 11, 26), False)
    # 2026-09-28 is a Monday, and Friday 25th the Mid-Autumn Festival: Thursday 24th, Wednesday 23rd.
    assert workflow.reminder_day(cal, dt.date(2026, 9, 28)) == (dt.date(2026, 9, 23), False)
    # 2026-10-28 (Wed): 27th, 26th.
    assert workflow.reminder_day(cal, dt.date(2026, 10, 28)) == (dt.date(2026, 10, 26), False)


def test_reminder_in_a_year_without_calendar_counts_calendar_days_and_says_so():
    day, missing = workflow.reminder_day(WorkingCalendar(), dt.date(2027, 1, 28))
    assert (day, missing) == (dt.date(2027, 1, 26), True)


def test_lifecycle_table():
    owner = workflow.Actor(role="supervisor", is_owner=True)
    leader = workflow.Actor(role="leader", is_owner=False)
    leader_owner = workflow.Actor(role="leader", is_owner=True)
    assert workflow.allowed_actions("draft", owner) == ["refresh", "edit", "submit"]
    assert workflow.allowed_actions("draft", leader) == []
    assert workflow.allowed_actions("submitted", leader) == ["approve", "return"]
    assert workflow.allowed_actions("submitted", leader_owner) == []  # four eyes
    assert workflow.allowed_actions("approved", owner) == ["publish"]
    assert workflow.allowed_actions("published", leader) == []
    assert workflow.check("published", "edit", owner)[0] == "state"


# --- figures against counts straight from the tickets -------------------------------------------

_phones = iter(range(10_000))


def _ticket(make_ticket, *, unit="p-a", created: str, overdue: bool = False, **fields):
    # A phone of its own: the same customer's tickets would be linked as repeats at registration.
    t = make_ticket(org_unit=unit, phone=f"1390000{next(_phones):04d}")
    Ticket.objects.filter(pk=t.pk).update(created_at=at(created), **fields)
    if overdue:  # a missed deadline, as the deadline scan records it
        TicketClock.objects.create(ticket_id=t.pk, clock="handle", started_at=at(created),
                                   due_at=at(created) + dt.timedelta(days=1),
                                   breached_at=at(created) + dt.timedelta(days=1))
    return Ticket.objects.get(pk=t.pk)


@pytest.fixture
def month(org, make_ticket):
    """Tickets inside, at both edges of and outside the 2026-11 report month."""
    mk = lambda **kw: _ticket(make_ticket, **kw)  # noqa: E731
    first = mk(created="2026-10-26", overdue=True, cause="service")
    tickets = [
        first,
        mk(created="2026-11-25", unit="p-b", channel="counter"),
        mk(created="2026-11-03", unit="p-a-1", repeat_of=first, over_the_head=True, severity="major"),
        mk(created="2026-11-04", state="closed", closed_at=at("2026-11-10"), cause="product_quality",
           satisfaction="satisfied", responsible_department=org["billing"]),
        mk(created="2026-11-05", state="closed", closed_at=at("2026-11-11"), cause="product_quality",
           satisfaction="dissatisfied", overdue=True),
    ]
    # Outside: the day before and the day after, and last month's (the comparison).
    mk(created="2026-10-25")
    mk(created="2026-11-26")
    mk(created="2026-10-01")
    rollup_rebuild()  # the statistics job, which reports read
    return tickets


def _straight(unit_path="0001"):
    """The same figures counted plainly from the tickets registered in the period (no GROUP
    BY, no roll-up)."""
    start, end = at("2026-10-26", 0), at("2026-11-26", 0)
    base = Ticket.objects.filter(org_unit__path__startswith=unit_path)
    reg = base.filter(created_at__gte=start, created_at__lt=end)
    late = set(TicketClock.objects.exclude(breached_at=None).values_list("ticket_id", flat=True))
    closed = reg.filter(state__in=["closed", "archived"])
    return {
        "registered": reg.count(), "overdue": reg.filter(pk__in=late).count(),
        "repeat": reg.exclude(repeat_of=None).count(), "over_the_head": reg.filter(over_the_head=True).count(),
        "closed": closed.count(), "closed_on_time": closed.exclude(pk__in=late).count(),
        "satisfied": reg.filter(satisfaction="satisfied").count(),
        "callbacks": reg.exclude(satisfaction="").count(),
        "previous": base.filter(created_at__gte=at("2026-09-26", 0), created_at__lt=start).count(),
    }


@pytest.mark.django_db
def test_figures_match_the_tickets(org, month):
    f = report_figures(unit=org["province"], period=NOV)
    expected = _straight()
    for key, value in expected.items():
        assert f["totals"][key] == value, key
    assert expected["registered"] == 5 and expected["previous"] == 2
    assert f["rates"]["on_time"] == 0.5 and f["rates"]["satisfied"] == 0.5
    assert {r["code"]: r["n"] for r in f["by_cause"]} == {"product_quality": 2, "service": 1}
    kpis = {k["code"]: k for k in f["kpis"]}  # the KPI library's, with their parts
    assert (kpis["closed_on_time_rate"]["numerator"], kpis["closed_on_time_rate"]["denominator"]) == (1, 2)
    assert kpis["breach_rate"]["value"] == 0.4 and f["source"] == "rollup"
    assert {r["code"]: r["n"] for r in f["by_channel"]} == {"hotline": 4, "counter": 1}
    assert f["top_categories"][0]["code"] == "billing-overcharge" and f["top_categories"][0]["n"] == 5
    assert sum(n for _d, n in f["trend"]) == 5 and len(f["trend"]) == 31
    units = {u["code"]: u for u in f["units"]}
    assert units["p-a"]["registered"] == 4 and units["p-b"]["registered"] == 1  # p-a-1 rolls up into p-a
    assert f["rollup_as_of"] is not None
    assert units["p-a"]["overdue"] == 2 and units["p-a"]["repeat"] == 1
    assert f["worst_units"] == ["p-a"]
    assert [c["number"] for c in f["overdue_cases"]] == [month[0].number, month[4].number]
    assert [c["repeat_of"] for c in f["repeat_cases"]] == [month[0].number]
    assert f["hard_cases"][0]["id"] == month[2].pk
    assert f["calendar"]["missing_years"] == []


@pytest.mark.django_db
def test_figures_of_a_city_are_its_subtree_only(org, month):
    f = report_figures(unit=org["city_a"], period=NOV)
    expected = _straight(org["city_a"].path)
    assert f["totals"]["registered"] == expected["registered"] == 4
    assert f["totals"]["closed"] == expected["closed"]


@pytest.mark.django_db
def test_figures_cost_a_fixed_number_of_queries(org, make_ticket, month):
    # The working calendar's snapshot is read once per process (and rechecked every 30 s):
    # loaded first, so that both counts are the report's own queries.
    report_figures(unit=org["province"], period=NOV)
    with CaptureQueriesContext(connection) as small:
        report_figures(unit=org["province"], period=NOV)
    for day in range(1, 20):
        _ticket(make_ticket, created=f"2026-11-{day:02d}", overdue=True, unit="p-b")
    rollup_rebuild()
    with CaptureQueriesContext(connection) as large:
        report_figures(unit=org["province"], period=NOV)
    assert len(large.captured_queries) == len(small.captured_queries) <= 12
    # Counts and rates come from the roll-up: no query aggregates the ticket table.
    for q in large.captured_queries:
        assert not ("tickets_ticket" in q["sql"] and ("COUNT(" in q["sql"] or "SUM(" in q["sql"])), q["sql"]


@pytest.mark.django_db
def test_a_month_without_tickets_says_so(org):
    f = report_figures(unit=org["province"], period=NOV)
    assert f["totals"]["registered"] == 0 and f["rates"]["on_time"] is None
    with translation.override("en"):
        notes = selectors.report_notes(f)
    assert any("No tickets" in n for n in notes)
    with translation.override("zh-hans"):
        assert any("没有受理" in n for n in selectors.report_notes(f))


@pytest.mark.django_db
def test_a_month_crossing_a_calendar_missing_year_says_so(org):
    period = workflow.report_month_ending(2027, 1)  # 2026-12-26 … 2027-01-25; 2027 is not published
    f = report_figures(unit=org["province"], period=period)
    assert f["calendar"]["missing_years"] == [2027]
    with translation.override("en"):
        notes = " ".join(selectors.report_notes(f))
    assert "2027" in notes and "missing" in notes


# --- lifecycle --------------------------------------------------------------------------------------

@pytest.fixture
def draft(org, users, month):
    report, created = lifecycle.report_generate(actor=users["supervisor"], kind="monthly",
                                                org_unit=org["province"], period=NOV)
    assert created
    return report


@pytest.mark.django_db
def test_draft_to_published_with_every_step_recorded(users, draft):
    sup, leader = users["supervisor"], users["leader"]
    with pytest.raises(ValidationFailed) as exc:
        lifecycle.report_submit(actor=sup, report_id=draft.pk, version=1)
    assert exc.value.fields[0].field == "analysis"
    r = lifecycle.report_edit(actor=sup, report_id=draft.pk, version=1,
                              texts={"analysis": "计费类投诉占比最高。", "suggestions": "加强订购确认。"})
    r = lifecycle.report_submit(actor=sup, report_id=r.pk, version=r.version)
    assert Message.objects.filter(recipient_user=leader, template="report_submitted").exists()
    with pytest.raises(Forbidden):
        lifecycle.report_approve(actor=sup, report_id=r.pk, version=r.version)
    r = lifecycle.report_approve(actor=leader, report_id=r.pk, version=r.version)
    assert r.approved_by == leader
    assert Message.objects.filter(recipient_user=sup, template="report_approved").exists()
    r = lifecycle.report_publish(actor=sup, report_id=r.pk, version=r.version)
    assert r.state == "published" and r.published_at is not None
    steps = list(ReportStep.objects.filter(report=r).order_by("id").values_list("action", "from_state", "to_state"))
    assert steps == [("generate", "", "draft"), ("edit", "draft", "draft"), ("submit", "draft", "submitted"),
                     ("approve", "submitted", "approved"), ("publish", "approved", "published")]
    with pytest.raises(Conflict):
        lifecycle.report_edit(actor=sup, report_id=r.pk, version=r.version, texts={"analysis": "x"})
    with pytest.raises(Conflict):
        lifecycle.report_refresh(actor=sup, report_id=r.pk, version=r.version)


@pytest.mark.django_db
def test_return_needs_a_reason_and_goes_back_to_draft(users, draft):
    sup, leader = users["supervisor"], users["leader"]
    r = lifecycle.report_edit(actor=sup, report_id=draft.pk, version=1, texts={"analysis": "a"})
    r = lifecycle.report_submit(actor=sup, report_id=r.pk, version=r.version)
    with pytest.raises(ValidationFailed) as exc:
        lifecycle.report_return(actor=leader, report_id=r.pk, version=r.version, note=" ")
    assert exc.value.fields[0].field == "note"
    r = lifecycle.report_return(actor=leader, report_id=r.pk, version=r.version, note="补充原因分析")
    assert r.state == "draft"
    assert Message.objects.get(recipient_user=sup, template="report_returned").context["note"] == "补充原因分析"


@pytest.mark.django_db
def test_a_stale_version_is_refused(users, draft):
    sup = users["supervisor"]
    lifecycle.report_edit(actor=sup, report_id=draft.pk, version=1, texts={"analysis": "first"})
    with pytest.raises(Conflict) as exc:
        lifecycle.report_edit(actor=sup, report_id=draft.pk, version=1, texts={"analysis": "second"})
    assert exc.value.extra["version"] == 2
    assert Report.objects.get(pk=draft.pk).analysis == "first"


@pytest.mark.django_db
def test_generating_twice_finds_the_first(org, users, draft):
    again, created = lifecycle.report_generate(actor=users["leader"], kind="monthly", org_unit=org["province"],
                                               period=NOV)
    assert not created and again.pk == draft.pk


@pytest.mark.django_db
def test_text_too_long_names_the_field(users, draft):
    with pytest.raises(ValidationFailed) as exc:
        lifecycle.report_edit(actor=users["supervisor"], report_id=draft.pk, version=1,
                              texts={"suggestions": "长" * (lifecycle.TEXT_LIMIT + 1)})
    assert exc.value.fields[0].field == "suggestions"


def _publish(users, report):
    sup, leader = users["supervisor"], users["leader"]
    r = lifecycle.report_edit(actor=sup, report_id=report.pk, version=report.version, texts={"analysis": "分析"})
    r = lifecycle.report_submit(actor=sup, report_id=r.pk, version=r.version)
    r = lifecycle.report_approve(actor=leader, report_id=r.pk, version=r.version)
    return lifecycle.report_publish(actor=sup, report_id=r.pk, version=r.version)


@pytest.mark.django_db
def test_a_published_report_never_changes_when_tickets_change(client, org, users, make_ticket, month, draft):
    report = _publish(users, draft)
    client.force_login(users["leader"])
    page_before = _without_tokens(client.get(f"/reports/{report.pk}/").content.decode())
    xlsx_before = _xlsx_rows(client.get(f"/reports/{report.pk}/report.xlsx").content)
    # Later: more tickets in the period, one closed, one no longer overdue.
    for _ in range(3):
        _ticket(make_ticket, created="2026-11-12", overdue=True)
    Ticket.objects.filter(pk=month[0].pk).update(state="closed", closed_at=at("2026-11-20"))
    rollup_rebuild()
    assert report_figures(unit=org["province"], period=NOV)["totals"]["registered"] == 8  # the tickets did change
    fresh = Report.objects.get(pk=report.pk)
    assert fresh.figures == report.figures and fresh.figures["totals"]["registered"] == 5
    assert _without_tokens(client.get(f"/reports/{report.pk}/").content.decode()) == page_before
    assert _xlsx_rows(client.get(f"/reports/{report.pk}/report.xlsx").content) == xlsx_before


# --- pages and scope ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_pages_walk_and_get_changes_nothing(client, org, users, month):
    client.force_login(users["supervisor"])
    assert client.get("/reports/").status_code == 200
    assert client.get("/reports/generate/").status_code == 405  # POST only
    response = client.post("/reports/generate/", {"kind": "monthly", "org_unit": org["province"].pk,
                                                  "month": "2026-11"})
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/{report.pk}/"
    page = client.get(f"/reports/{report.pk}/").content.decode()
    assert "Submit for approval" in page or "提交审批" in page
    assert f"/tickets/{month[0].pk}/" in page  # the overdue case links to its ticket
    client.post(f"/reports/{report.pk}/step/edit/", {"version": 1, "analysis": "分析"})
    assert Report.objects.get().analysis == "分析"
    # A stale form says so instead of overwriting.
    response = client.post(f"/reports/{report.pk}/step/edit/", {"version": 1, "analysis": "旧"}, follow=True)
    assert Report.objects.get().analysis == "分析"
    assert client.get(f"/reports/{report.pk}/chart/trend.svg")["Content-Type"] == "image/svg+xml"


@pytest.mark.django_db
def test_bad_month_names_the_field(client, org, users):
    client.force_login(users["supervisor"])
    response = client.post("/reports/generate/", {"kind": "monthly", "org_unit": org["province"].pk,
                                                  "month": "2026-13"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Report month" in response.content.decode() and not Report.objects.exists()


@pytest.mark.django_db
def test_scope(client, org, users, month):
    city_b_sup = User.objects.create_user(username="sup-b", password="pw-for-tests-1", role="supervisor",
                                          org_unit=org["city_b"])
    province, _ = lifecycle.report_generate(actor=users["supervisor"], kind="monthly", org_unit=org["province"],
                                            period=NOV)
    city, _ = lifecycle.report_generate(actor=city_b_sup, kind="monthly", org_unit=org["city_b"], period=NOV)
    with pytest.raises(ValidationFailed):
        lifecycle.report_generate(actor=city_b_sup, kind="monthly", org_unit=org["city_a"], period=NOV)
    client.force_login(city_b_sup)
    assert client.get(f"/reports/{province.pk}/").status_code == 404
    assert client.get(f"/reports/{province.pk}/report.pdf").status_code == 404
    assert client.get(f"/reports/{city.pk}/").status_code == 200
    client.force_login(users["handler"])
    assert client.get("/reports/").status_code == 403
    client.force_login(users["dept_head"])  # department heads read published reports only
    assert client.get(f"/reports/{province.pk}/").status_code == 404


# --- outputs ----------------------------------------------------------------------------------------

def _without_tokens(html: str) -> str:
    import re

    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', "", html)


def _xlsx_rows(content: bytes) -> dict:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    return {ws.title: [[(c.value, c.data_type) for c in row] for row in ws.iter_rows()] for ws in book.worksheets}


@pytest.mark.django_db
def test_xlsx_one_sheet_per_table_numbers_as_numbers_no_formulas(client, org, users, make_ticket, month):
    evil = _ticket(make_ticket, created="2026-11-07", overdue=True)
    Ticket.objects.filter(pk=evil.pk).update(title='=HYPERLINK("http://evil/","x")')
    rollup_rebuild()
    report, _ = lifecycle.report_generate(actor=users["supervisor"], kind="monthly", org_unit=org["province"],
                                          period=NOV)
    client.force_login(users["supervisor"])
    sheets = _xlsx_rows(client.get(f"/reports/{report.pk}/report.xlsx", HTTP_ACCEPT_LANGUAGE="en").content)
    tables = selectors.report_tables(report)
    assert len(sheets) == 1 + len(tables)
    units = sheets["By org unit"]
    assert units[0][1] == ("Registered", "s")
    assert units[1][1] == (5, "n")  # a number cell
    overdue = sheets["Overdue cases"]
    titles = [row[1] for row in overdue[1:]]
    assert ('=HYPERLINK("http://evil/","x")', "s") in titles  # text, never a formula
    for rows in sheets.values():
        assert all(dtype != "f" for row in rows for _v, dtype in row)


@pytest.mark.django_db
def test_pdf_has_the_chinese_text_and_the_charts(client, org, users, month):
    pdfium = pytest.importorskip("pypdfium2")
    report, _ = lifecycle.report_generate(actor=users["supervisor"], kind="monthly", org_unit=org["province"],
                                          period=NOV)
    client.force_login(users["supervisor"])
    response = client.get(f"/reports/{report.pk}/report.pdf", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert b"<script" not in response.content.lower() and b"/JavaScript" not in response.content
    doc = pdfium.PdfDocument(response.content)
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    assert "江南省" in text and "甲市" in text
    assert month[0].number in "".join(text.split())  # a long number may wrap in its cell


def test_a_missing_cjk_font_fails_clearly(settings, monkeypatch):
    settings.REPORTS_CJK_FONT = "/nonexistent/font.ttc"
    monkeypatch.setattr(outputs, "CJK_FONT_CANDIDATES", ())
    with pytest.raises(outputs.FontMissing) as exc:
        outputs.cjk_font_path()
    assert "/nonexistent/font.ttc" in str(exc.value) and "REPORTS_CJK_FONT" in str(exc.value)


# --- the reminder job ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_reminder_job_generates_the_draft_and_reminds_once(org, users, month):
    sup = users["supervisor"]
    ReportOwner.objects.create(org_unit=org["province"], kind="monthly", owner=sup)
    # 2026-11-25 (Wed): the period is not over; no reminder yet (due Sat 28th → Thu 26th).
    assert report_reminders_run(now=at("2026-11-25", 9)) == {"generated": 0, "reminded": 0}
    result = report_reminders_run(now=at("2026-11-26", 9))
    assert result == {"generated": 1, "reminded": 1}
    report = Report.objects.get()
    assert report.owner == sup and (report.period_start, report.period_end) == (NOV.start, NOV.end)
    assert report.figures["totals"]["registered"] == 5
    msg = Message.objects.get(recipient_user=sup, template="report_due")
    assert msg.context["report_id"] == report.pk and msg.context["due"] == "2026-11-28"
    assert report_reminders_run(now=at("2026-11-27", 9)) == {"generated": 0, "reminded": 0}  # once only
    assert Message.objects.filter(template="report_due").count() == 1


@pytest.mark.django_db
def test_no_reminder_for_a_published_report(org, users, month, draft):
    ReportOwner.objects.create(org_unit=org["province"], kind="monthly", owner=users["supervisor"])
    _publish(users, draft)
    assert report_reminders_run(now=at("2026-11-26", 9))["reminded"] == 0


@pytest.mark.django_db
def test_reminder_in_a_calendar_missing_year_says_so(org, users):
    ReportOwner.objects.create(org_unit=org["province"], kind="monthly", owner=users["supervisor"])
    report_reminders_run(now=at("2027-01-26", 9))
    msg = Message.objects.get(template="report_due")
    assert msg.context["due"] == "2027-01-28" and msg.context["note"]


@pytest.mark.django_db
def test_half_year_report_has_its_sections_and_months(client, org, users, month):
    report, _ = lifecycle.report_generate(actor=users["supervisor"], kind="half_year", org_unit=org["province"],
                                          period=workflow.half_year_period(dt.date(2026, 11, 1)))
    assert [m for m, _n in report.figures["months"]][:1] == ["2026-07"] and len(report.figures["months"]) == 6
    assert sum(n for _m, n in report.figures["months"]) == report.figures["totals"]["registered"]
    client.force_login(users["supervisor"])
    page = client.get(f"/reports/{report.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Hot issues" in page and "Hard cases and their difficulties" in page and "By report month" in page
    _ = timezone


# --- one writer per step, over real concurrent connections ----------------------------------------

@pytest.mark.django_db(transaction=True)
def test_two_steps_on_one_version_one_wins(org, users):
    """The owner saves the text while a second tab submits, both from version 2: the row lock
    serialises them and the second sees the new version (a clear conflict, nothing lost)."""
    from tests.test_concurrency import _race

    sup = users["supervisor"]
    report, _ = lifecycle.report_generate(actor=sup, kind="monthly", org_unit=org["province"], period=NOV)
    lifecycle.report_edit(actor=sup, report_id=report.pk, version=1, texts={"analysis": "初稿"})
    results = _race(
        lambda: lifecycle.report_edit(actor=sup, report_id=report.pk, version=2, texts={"analysis": "改稿"}),
        lambda: lifecycle.report_submit(actor=sup, report_id=report.pk, version=2),
    )
    outcomes = sorted(kind for kind, _v in results)
    assert outcomes == ["error", "ok"], results
    loser = next(v for kind, v in results if kind == "error")
    assert isinstance(loser, Conflict) and loser.extra["version"] == 3
    fresh = Report.objects.get(pk=report.pk)
    assert fresh.version == 3
    assert ReportStep.objects.filter(report=fresh).count() == 3  # generate, edit, and the winner's step
