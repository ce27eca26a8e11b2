"""Issue 10 §3: regulator profiles, the regulator's deadline as a clock of its own (calendar
and working days on the official calendar), extensions with approval, admissibility hints,
the reply sheet in the regulator's layout; over the services, the API and the pages."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from complaintdesk.audit.models import PersonalDataAccess
from complaintdesk.notifications.models import Message
from complaintdesk.regulators import selectors
from complaintdesk.regulators.models import RegulatorProfile, RegulatorTransfer
from complaintdesk.regulators.services.hints import admissibility_hints
from complaintdesk.regulators.services.transfers import profile_options_changed
from complaintdesk.sla.calendar import (
    DayKind,
    DayTable,
    Duration,
    Unit,
    WorkingCalendar,
    YearTable,
    deadline,
)
from complaintdesk.sla.models import ClockRule, LedgerEntry, Policy, TicketClock
from complaintdesk.sla.services.scan import sla_scan
from complaintdesk.tickets.models import TicketEvent
from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.services.intake import ticket_register
from tests.conftest import draft

TZ = ZoneInfo("Asia/Shanghai")
# 2026 on the official calendar: 25-27 September (Mid-Autumn) and 1-7 October are holidays,
# 10 October (a Saturday) is a make-up working day.
NOW = dt.datetime(2026, 9, 10, 10, 0, tzinfo=TZ)


def local(*args):
    return dt.datetime(*args, tzinfo=TZ)


def ensure_profiles():
    """The seeded profiles: a live-server test elsewhere in the run empties every table, the
    data migration's rows too (the seed is idempotent)."""
    from importlib import import_module

    from django.apps import apps

    import_module("complaintdesk.regulators.migrations.0002_seed_profiles").seed(apps, None)
    profile_options_changed()


@pytest.fixture(autouse=True)
def _profiles(db):
    ensure_profiles()


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def ticket_policy(db):
    """Our own ticket deadline (5 working days), so that both deadlines exist."""
    policy = Policy.objects.create(name="全部", name_en="all")
    ClockRule.objects.create(policy=policy, clock="ticket", amount=5, unit="working_days")
    return policy


def transfer(org, **overrides):
    values = dict(channel="regulator_transfer", regulator="nfra", regulator_ref="YJ-2026-0001",
                  phone="13900139000")
    values.update(overrides)
    ticket, _ = ticket_register(actor=org["users"]["intake_agent"], draft=draft(**values))
    return ticket


def regulator_clock(ticket) -> TicketClock:
    return TicketClock.objects.get(ticket=ticket, clock="regulator")


# -- the arithmetic (pure) ------------------------------------------------------------------------

def test_calendar_days_end_at_the_close_of_the_last_day_moved_past_holidays():
    cal = WorkingCalendar()  # the official calendar, 08:30-12:00 / 13:30-17:30
    # 15 days from 10 September: the 25th is the Mid-Autumn holiday (25-27): the 28th.
    assert deadline(cal, NOW, Duration(15, Unit.CALENDAR_DAYS)).at == local(2026, 9, 28, 17, 30)
    # The start's own day is not counted, whatever the hour.
    assert deadline(cal, local(2026, 3, 2, 23, 59), Duration(15, Unit.CALENDAR_DAYS)).at == local(2026, 3, 17, 17, 30)
    # National Day: 1-7 October off; the 8th is the first working day.
    assert deadline(cal, local(2026, 9, 16, 9, 0), Duration(15, Unit.CALENDAR_DAYS)).at == local(2026, 10, 8, 17, 30)
    # A make-up working Saturday ends a period like any working day.
    assert deadline(cal, local(2026, 9, 25, 9, 0), Duration(15, Unit.CALENDAR_DAYS)).at == local(2026, 10, 10, 17, 30)
    # 24/7: midnight ending the 15th day.
    assert deadline(WorkingCalendar(always_open=True), NOW, Duration(15, Unit.CALENDAR_DAYS)).at == local(2026, 9, 26)


def test_calendar_days_into_a_year_nobody_published_are_missing_not_weekdays():
    cal = WorkingCalendar(days=DayTable(years=(YearTable(2026),), official=None))
    with pytest.warns(UserWarning):
        result = deadline(cal, local(2026, 12, 20, 9, 0), Duration(15, Unit.CALENDAR_DAYS))
    assert result.calendar_missing and result.missing_years == (2027,) and result.at is None


def test_calendar_days_are_whole():
    with pytest.raises(ValueError):
        Duration(1.5, Unit.CALENDAR_DAYS)


HOLIDAYS = st.sets(st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)), max_size=60)


@settings(max_examples=200, deadline=None)
@given(holidays=HOLIDAYS, day=st.dates(dt.date(2026, 1, 1), dt.date(2026, 10, 31)),
       minute=st.integers(0, 24 * 60 - 1), n=st.integers(0, 45))
def test_calendar_days_properties(holidays, day, minute, n):
    """The period ends on the first working day on or after start + n days, at its close;
    no working day between start + n and that day is skipped."""
    table = DayTable(years=(YearTable(2026, holidays=frozenset(holidays)),
                            YearTable(2027, holidays=frozenset())), official=None)
    cal = WorkingCalendar(days=table)
    start = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=TZ)
    at = deadline(cal, start, Duration(n, Unit.CALENDAR_DAYS)).at
    last = day + dt.timedelta(days=n)
    assert at.date() >= last
    assert cal.day_kind(at.date()) is DayKind.WORKDAY
    assert at.timetz().replace(tzinfo=None) == dt.time(17, 30)
    d = last
    while d < at.date():
        assert cal.day_kind(d) is not DayKind.WORKDAY
        d += dt.timedelta(days=1)
    # More days never end earlier.
    assert deadline(cal, start, Duration(n + 1, Unit.CALENDAR_DAYS)).at >= at


# -- profiles seeded ----------------------------------------------------------------------------

def test_the_four_profiles_are_seeded_with_the_figures_of_the_rules(db):
    p = {x.code: x for x in RegulatorProfile.objects.all()}
    assert set(p) == {"nfra", "miit", "post", "12345"}
    assert (p["nfra"].amount, p["nfra"].day_basis, p["nfra"].max_total) == (15, "calendar_days", 60)
    assert [(e.total, e.requires_approval) for e in p["nfra"].extensions.all()] == [(30, False), (60, True)]
    assert (p["miit"].amount, p["miit"].day_basis) == (15, "calendar_days")
    assert (5, "working_days") in [(d.amount, d.day_basis) for d in p["miit"].deadlines.filter(party="regulator")]
    assert (p["post"].amount, p["post"].day_basis) == (7, "calendar_days")
    cells = {(d.matter.code if d.matter else None, d.urgency): d.amount
             for d in p["12345"].deadlines.filter(party="company")}
    assert cells == {("inquiry", ""): 3, ("complaint", ""): 13, (None, "emergency"): 0}


# -- registration with a profile ------------------------------------------------------------------

def test_a_transfer_gets_the_regulators_deadline_beside_ours(org, frozen, ticket_policy):
    ticket = transfer(org)
    assert ticket.source_tier == "12378"  # the profile's tier
    clock = regulator_clock(ticket)
    assert clock.due_at == local(2026, 9, 28, 17, 30) == ticket.regulator_due_at
    assert clock.rule_id is None and clock.explanation["own"]["source"]["regulator"]["code"] == "nfra"
    assert clock.explanation["unit"] == "calendar_days"
    ours = TicketClock.objects.get(ticket=ticket, clock="ticket")
    assert ours.due_at == local(2026, 9, 17, 17, 30)  # 5 working days, our policy
    row = RegulatorTransfer.objects.get(ticket=ticket)
    assert (row.profile.code, row.amount, row.day_basis, row.extension_step) == ("nfra", 15, "calendar_days", 0)
    event = TicketEvent.objects.get(ticket=ticket, type="registered")
    assert event.payload["regulator"] == "nfra" and event.payload["regulator_due_at"]


def test_12345_matrix_by_matter_and_urgency_in_working_days(org, frozen):
    complaint = transfer(org, regulator="12345", regulator_matter="complaint")
    # 13 working days after 10 September: the make-up Sunday 20th counts, Mid-Autumn (25th) does not.
    assert regulator_clock(complaint).due_at == local(2026, 9, 29, 17, 30)
    inquiry = transfer(org, regulator="12345", regulator_matter="inquiry", phone="13900139001")
    assert regulator_clock(inquiry).due_at == local(2026, 9, 15, 17, 30)
    emergency = transfer(org, regulator="12345", regulator_matter="complaint", regulator_urgency="emergency",
                         phone="13900139002")
    assert regulator_clock(emergency).due_at == local(2026, 9, 10, 17, 30)  # the same day


def test_the_transfer_time_counts_and_a_stated_deadline_wins(org, frozen):
    early = transfer(org, regulator="post", transferred_at=local(2026, 9, 1, 16, 0))
    assert regulator_clock(early).due_at == local(2026, 9, 8, 17, 30)  # 7 days from the 1st
    assert early.first_reported_at == local(2026, 9, 1, 16, 0)  # ours counts from the transfer too
    stated = transfer(org, regulator="miit", regulator_due_at=local(2026, 9, 20, 12, 0), phone="13900139003")
    assert regulator_clock(stated).due_at == local(2026, 9, 20, 12, 0) == stated.regulator_due_at
    # A body without a profile (12315): its own date is still a clock of its own.
    other = transfer(org, regulator="", source_tier="12315", regulator_due_at=local(2026, 9, 30, 17, 0),
                     phone="13900139004")
    assert regulator_clock(other).due_at == local(2026, 9, 30, 17, 0)


def test_bad_regulator_input_names_the_field(org, api, frozen):
    agent = api(org["users"]["intake_agent"])
    base = {"kind": "complaint", "category": "billing-overcharge", "channel": "regulator_transfer",
            "title": "话费多扣", "description": "十月份话费多扣了58元。", "customer": {"phone": "13800138000"},
            "elements": {"account_phone": "13800138000", "month": "2026-08-01", "amount": "58"}}
    cases = [({"regulator": "nope"}, "regulator"),
             ({"regulator": "nfra", "source_tier": "12300"}, "source_tier"),
             ({"regulator": "miit", "regulator_matter": "claims"}, "regulator_matter"),
             ({"regulator": "12345", "regulator_urgency": "now"}, "regulator_urgency"),
             ({"regulator": "nfra", "transferred_at": "2026-09-20T10:00:00+08:00"}, "transferred_at"),
             ({"regulator_matter": "billing"}, "regulator_matter")]
    for extra, field in cases:
        r = agent.post("/tickets", {**base, **extra})
        assert r.status_code == 422, (extra, r.content)
        assert field in {f["field"] for f in r.json()["error"]["fields"]}, (extra, r.json())
    assert not RegulatorTransfer.objects.exists()


def test_admissibility_hints_are_shown_never_enforced(org, frozen):
    old_bill = transfer(org, regulator="miit", regulator_matter="billing", matter_date=dt.date(2026, 3, 1))
    hints = RegulatorTransfer.objects.get(ticket=old_bill).hints
    assert [h["limit"] for h in hints] == ["2026-08-01"]  # 5 months after 1 March
    assert old_bill.state == "registered"  # registered all the same
    recent_bill = transfer(org, regulator="miit", regulator_matter="billing", matter_date=dt.date(2026, 5, 1),
                           phone="13900139005")
    assert RegulatorTransfer.objects.get(ticket=recent_bill).hints == []
    # A date at the end of the calendar gives no hint (and no error).
    assert admissibility_hints(profile_id=old_bill.regulator_transfer.profile_id, matter_id=None,
                               matter_date=dt.date(9999, 12, 1), today=dt.date(2026, 9, 10)) == []
    # Other matters: two years.
    network = transfer(org, regulator="miit", regulator_matter="network_quality",
                       matter_date=dt.date(2024, 9, 1), phone="13900139006")
    assert [h["limit"] for h in RegulatorTransfer.objects.get(ticket=network).hints] == ["2026-09-01"]


# -- the clock in the engine and the scan --------------------------------------------------------

def test_the_regulators_clock_does_not_wait_on_the_customer_and_stops_at_the_reply(org, frozen):
    users = org["users"]
    ticket = transfer(org)
    t.ticket_request_info(ticket_id=ticket.pk, actor=users["intake_agent"], question="请提供账单截图")
    assert regulator_clock(ticket).state == "running"
    t.ticket_info_received(ticket_id=ticket.pk, actor=users["intake_agent"])
    assert regulator_clock(ticket).due_at == local(2026, 9, 28, 17, 30)  # not moved
    d, h = users["dispatcher"], users["handler"]
    t.ticket_review(ticket_id=ticket.pk, actor=d, valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=d)
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=h)
    t.ticket_handle(ticket_id=ticket.pk, actor=h, notes="已核实多扣，退还58元", cause="service")
    t.ticket_audit(ticket_id=ticket.pk, actor=d, approve=True)
    t.ticket_reply(ticket_id=ticket.pk, actor=d, text="已退还58元")
    clock = regulator_clock(ticket)
    assert clock.state == "met" and clock.stopped_at == NOW


def test_the_breach_scan_warns_breaches_and_escalates_the_regulators_deadline(org, frozen, ticket_policy):
    ticket = transfer(org)
    clock = regulator_clock(ticket)
    assert sla_scan(now=clock.warn_at + dt.timedelta(minutes=1)).warned >= 1
    result = sla_scan(now=clock.due_at + dt.timedelta(minutes=1))
    assert result.breached >= 1
    clock.refresh_from_db()
    assert clock.breached_at is not None and clock.escalation_level == 1
    entry = LedgerEntry.objects.get(clock=clock)
    assert entry.ticket_id == ticket.pk
    assert Message.objects.filter(dedupe_key__startswith=f"clock:{clock.pk}:breach:").exists()
    # The profile's ladder: the leader a day after the deadline.
    assert clock.next_escalation_at == clock.due_at + dt.timedelta(days=1)
    assert sla_scan(now=clock.due_at + dt.timedelta(days=1, minutes=1)).escalated >= 1
    assert Message.objects.filter(dedupe_key__startswith=f"clock:{clock.pk}:level:2:",
                                  recipient_user=org["users"]["leader"]).exists()


# -- extensions ----------------------------------------------------------------------------------

def test_nfra_extension_to_30_then_60_with_a_leaders_approval(org, frozen):
    users = org["users"]
    ticket = transfer(org)
    agent = users["intake_agent"]
    t.ticket_extend_regulator_deadline(ticket_id=ticket.pk, actor=agent, reason="需调取录音，情况复杂")
    ticket.refresh_from_db()
    assert regulator_clock(ticket).due_at == local(2026, 10, 10, 17, 30) == ticket.regulator_due_at  # 30 days: a make-up Saturday
    with pytest.raises(Exception) as refused:
        t.ticket_extend_regulator_deadline(ticket_id=ticket.pk, actor=agent, reason="特别复杂")
    assert {f.field for f in refused.value.fields} == {"approved_by"}
    with pytest.raises(Exception) as refused:
        t.ticket_extend_regulator_deadline(ticket_id=ticket.pk, actor=agent, reason="特别复杂",
                                           approved_by=users["supervisor"].username)
    assert {f.field for f in refused.value.fields} == {"approved_by"}
    t.ticket_extend_regulator_deadline(ticket_id=ticket.pk, actor=agent, reason="需第三方鉴定",
                                       approved_by=users["leader"].username)
    clock = regulator_clock(ticket)
    assert clock.due_at == local(2026, 11, 9, 17, 30)  # 60 days from the transfer (9 Nov, a Monday)
    events = list(TicketEvent.objects.filter(ticket=ticket, type="regulator_deadline_extended").order_by("seq"))
    assert [(e.payload["step"], e.payload["total"], e.payload["approved_by"]) for e in events] == [
        (1, 30, None), (2, 60, "leader")]
    assert events[1].payload["previous_due_at"].startswith("2026-10-10")
    with pytest.raises(Exception) as refused:
        t.ticket_extend_regulator_deadline(ticket_id=ticket.pk, actor=users["leader"], reason="再延")
    assert {f.field for f in refused.value.fields} == {"step"}
    assert RegulatorTransfer.objects.get(ticket=ticket).extension_step == 2


def test_extension_over_the_api_and_refused_for_a_direct_ticket(org, api, frozen, make_ticket):
    agent = api(org["users"]["intake_agent"])
    ticket = transfer(org)
    r = agent.post(f"/tickets/{ticket.pk}/regulator-extension", {"reason": "情况复杂"})
    assert r.status_code == 200, r.content
    assert r.json()["regulator_due_at"] == "2026-10-10T09:30:00Z"
    direct = make_ticket()
    r = agent.post(f"/tickets/{direct.pk}/regulator-extension", {"reason": "情况复杂"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "refused_not_transfer"


def test_setting_the_source_later_with_a_profile_starts_the_clock(org, frozen, make_ticket):
    agent = org["users"]["intake_agent"]
    ticket = make_ticket(channel="regulator_transfer", source_tier="12300")
    assert not TicketClock.objects.filter(ticket=ticket, clock="regulator").exists()
    t.ticket_set_source(ticket_id=ticket.pk, actor=agent, source_tier="", regulator="miit",
                        regulator_ref="GXB-1", regulator_matter="billing")
    assert regulator_clock(ticket).due_at == local(2026, 9, 25 + 3, 17, 30)  # 15 days: the 25th is a holiday
    with pytest.raises(Exception) as refused:  # the post's transfers come from 12305
        t.ticket_set_source(ticket_id=ticket.pk, actor=agent, source_tier="12300", regulator="post")
    assert {f.field for f in refused.value.fields} == {"source_tier"}
    t.ticket_set_source(ticket_id=ticket.pk, actor=agent, source_tier="12305", regulator="post")
    assert regulator_clock(ticket).due_at == local(2026, 9, 17, 17, 30)
    assert RegulatorTransfer.objects.get(ticket=ticket).profile.code == "post"


# -- the reply sheet -----------------------------------------------------------------------------

def _sheet(response):
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(r) for r in book.active.iter_rows(values_only=True)]


def test_reply_sheet_of_one_ticket_in_the_regulators_layout(org, client, frozen):
    ticket = transfer(org, title="=HYPERLINK(\"http://x\")话费多扣")
    client.force_login(org["users"]["intake_agent"])
    r = client.get(f"/regulators/tickets/{ticket.pk}/sheet.xlsx", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200
    rows = _sheet(r)
    assert rows[0][:4] == ["投诉编号", "工单编号", "投诉人", "联系电话"]
    assert rows[1][0] == "YJ-2026-0001" and rows[1][1] == ticket.number
    assert rows[1][5].startswith("=HYPERLINK")  # text, never a formula (core/xlsx.py)
    assert PersonalDataAccess.objects.filter(kind="regulator_sheet").count() == 1
    # Someone who may not see the ticket gets nothing.
    client.force_login(org["users"]["city_b_dispatcher"])
    assert client.get(f"/regulators/tickets/{ticket.pk}/sheet.xlsx").status_code == 404


def test_period_and_selection_export_scoped_with_fixed_queries(org, client, frozen):
    tickets = [transfer(org, regulator="12345", regulator_matter="complaint", regulator_ref=f"12345-{i}",
                        phone=f"1390013910{i}") for i in range(3)]
    user = org["users"]["intake_agent"]
    profile = RegulatorProfile.objects.get(code="12345")
    for n in (1, 3):
        with CaptureQueriesContext(connection) as q:
            rows = selectors.sheet_rows(viewer=user, profile=profile,
                                        ticket_ids=[x.pk for x in tickets[:n]])
        assert len(rows) == n and len(q) == 2
    client.force_login(user)
    r = client.get("/regulators/export/", {"profile": "12345", "start": "2026-09-01", "end": "2026-09-10",
                                           "format": "xlsx"}, HTTP_ACCEPT_LANGUAGE="en")
    rows = _sheet(r)
    assert rows[0][0] == "Work order no." and [x[0] for x in rows[1:]] == ["12345-0", "12345-1", "12345-2"]
    r = client.get("/regulators/export/", {"profile": "12345", "start": "2026-09-01", "end": "2026-09-10",
                                           "format": "xlsx", "ticket": [tickets[1].pk]})
    assert [x[0] for x in _sheet(r)[1:]] == ["12345-1"]
    r = client.get("/regulators/export/", {"profile": "12345", "start": "2026-09-11", "end": "2026-09-30",
                                           "format": "xlsx"})
    assert _sheet(r)[1:] == []
    page = client.get("/regulators/export/", {"profile": "12345", "start": "2026-09-10", "end": "2026-09-01"})
    assert page.status_code == 422
    client.force_login(org["users"]["city_b_dispatcher"])
    r = client.get("/regulators/export/", {"profile": "12345", "format": "xlsx"})
    assert _sheet(r)[1:] == []


# -- the pages -----------------------------------------------------------------------------------

def test_registration_page_registers_with_a_profile_and_the_ticket_page_shows_both(org, client, frozen,
                                                                                   ticket_policy):
    client.force_login(org["users"]["intake_agent"])
    page = client.get("/tickets/new/")
    assert b'name="regulator"' in page.content and "国家金融监督管理总局".encode() in page.content
    preview = client.get("/regulators/preview/", {"regulator": "miit", "regulator_matter": "billing",
                                                  "matter_date": "2026-01-05"}, HTTP_ACCEPT_LANGUAGE="en")
    assert b"2026-09-25" not in preview.content and b"2026-09-28 17:30" in preview.content
    assert b"Billing disputes older than 5 months" in preview.content
    r = client.post("/tickets/new/", {
        "kind": "complaint", "category": "billing-overcharge", "channel": "regulator_transfer",
        "regulator": "nfra", "regulator_ref": "YJ-9", "title": "话费多扣", "description": "多扣58元",
        "phone": "13800138000", "el_account_phone": "13800138000", "el_month": "2026-08-01", "el_amount": "58",
        "idempotency_key": "k-1",
    })
    assert r.status_code == 302, r.content.decode()[:3000]
    ticket_page = client.get(r["Location"], HTTP_ACCEPT_LANGUAGE="en")
    html = ticket_page.content.decode()
    assert "Regulator&#x27;s transfer" in html or "Regulator's transfer" in html
    assert 'data-deadline="regulator">2026-09-28 17:30' in html
    assert 'data-deadline="ours">2026-09-17 17:30' in html
    assert 'data-clock="regulator"' in html
