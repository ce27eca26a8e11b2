"""Deadline policies and the clock engine (issue 3, parts 2, 3 and 7): which rule a ticket
gets, how each workflow event starts, stops, pauses and moves its clocks, how every deadline
explains itself, and how the API shows them.

Times are explicit (`at=`) on the official calendar of 2026 (Asia/Shanghai): Friday 13 and
Monday 16 November are working days, the weekend between is not.
"""

import datetime as dt
import logging
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaintdesk.core.errors import Forbidden, ValidationFailed
from complaintdesk.sla.models import (
    Calendar,
    CalendarOverride,
    CalendarYear,
    ClockRule,
    Policy,
    TicketClock,
)
from complaintdesk.sla.services.calendars import calendar_for_department, calendar_for_unit
from complaintdesk.sla.services.clocks import clocks_recompute, schedule
from complaintdesk.sla.services.policies import rules_for, sla_config_changed
from complaintdesk.sla.services.status import ticket_sla_status_refresh
from complaintdesk.taxonomy.models import Category
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.services.intake import ticket_register
from tests.conftest import draft

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")


def local(day: str, hm: str = "00:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=TZ)


FRI = "2026-11-13"
MON = "2026-11-16"


def make_policy(name, rules: dict, *, priority=0, **match) -> Policy:
    """rules: {clock: "12 working_hours"} or {clock: ("1 calendar_hours", {"daily_at": ...})}."""
    for key in ("category",):
        if isinstance(match.get(key), str):
            match[key] = Category.objects.get(code=match[key])
    policy = Policy.objects.create(name=name, name_en=name, priority=priority, **match)
    for clock, spec in rules.items():
        text, extra = (spec, {}) if isinstance(spec, str) else spec
        amount, unit = text.split()
        ClockRule.objects.create(policy=policy, clock=clock, amount=Decimal(amount), unit=unit, **extra)
    sla_config_changed()
    return policy


def clocks(ticket, cycle=0) -> dict[str, TicketClock]:
    return {c.clock: c for c in TicketClock.objects.filter(ticket_id=ticket.pk, cycle=cycle)}


def register(users, at, **overrides):
    ticket, _ = ticket_register(actor=users["intake_agent"], draft=draft(**overrides), at=at)
    return ticket


def to_department(users, ticket, at, **dispatch):
    """Reviewed at `at`, dispatched a minute later."""
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True, at=at)
    return t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"], at=at + dt.timedelta(minutes=1),
                             **dispatch)


# -- policy selection ----------------------------------------------------------------------

def test_policy_is_inherited_down_the_category_tree(org):
    base = make_policy("base", {"handle": "5 working_days"})
    root = make_policy("billing", {"handle": "2 working_days"}, category="billing")
    leaf = make_policy("overcharge", {"handle": "1 working_days"}, category="billing-overcharge")

    def handle_policy(code):
        category = Category.objects.get(code=code)
        return rules_for(kind="complaint", category_path=category.path, severity="general",
                         channel="hotline")["handle"].policy.id

    assert handle_policy("billing-overcharge") == leaf.pk  # its own category
    assert handle_policy("billing-refund") == root.pk  # the parent's
    assert handle_policy("network-weak") == base.pk  # nothing for its tree


def test_more_set_fields_win_then_the_deeper_category_then_priority(org):
    make_policy("complaints", {"handle": "5 working_days"}, kind="complaint")
    by_channel = make_policy("hotline complaints", {"handle": "4 working_days"}, kind="complaint",
                             channel="hotline")
    category = Category.objects.get(code="billing-overcharge")
    facts = dict(kind="complaint", category_path=category.path, severity="general")
    assert rules_for(channel="hotline", **facts)["handle"].policy.id == by_channel.pk
    assert rules_for(channel="counter", **facts)["handle"].policy.name == "complaints"
    # Two set fields each: the deeper category wins.
    make_policy("billing counter", {"handle": "3 working_days"}, category="billing", channel="counter")
    leaf = make_policy("overcharge counter", {"handle": "2 working_days"}, category="billing-overcharge",
                       channel="counter")
    assert rules_for(channel="counter", **facts)["handle"].policy.id == leaf.pk
    # Priority beats specificity.
    urgent = make_policy("urgent", {"handle": "1 working_days"}, priority=5)
    assert rules_for(channel="counter", **facts)["handle"].policy.id == urgent.pk


def test_a_policy_may_set_some_clocks_and_leave_the_rest_to_broader_ones(org, users):
    base = make_policy("base", {"dispatch": "4 working_hours", "handle": "5 working_days",
                                "ticket": "10 working_days"})
    major = make_policy("major", {"handle": "1 working_days"}, severity="major", priority=10)
    ticket = register(users, local(FRI, "09:00"), severity="major")
    to_department(users, ticket, local(FRI, "09:05"))
    c = clocks(ticket)
    assert c["handle"].explanation["policy"]["id"] == major.pk
    assert c["dispatch"].explanation["policy"]["id"] == base.pk
    assert c["ticket"].explanation["policy"]["id"] == base.pk
    assert "acknowledge" not in c and "progress" not in c  # no rule, no clock


def test_a_special_case_follows_the_major_policies(org, users):
    make_policy("base", {"handle": "5 working_days"})
    special = make_policy("special", {"handle": "1 working_days"}, severity="major", priority=10)
    ticket = register(users, local(FRI, "09:00"), special=True)
    to_department(users, ticket, local(FRI, "09:05"))
    assert clocks(ticket)["handle"].explanation["policy"]["id"] == special.pk


def test_inactive_policies_do_not_count(org):
    make_policy("base", {"handle": "5 working_days"})
    off = make_policy("off", {"handle": "1 working_days"}, kind="complaint")
    Policy.objects.filter(pk=off.pk).update(active=False)
    sla_config_changed()
    category = Category.objects.get(code="billing-overcharge")
    assert rules_for(kind="complaint", category_path=category.path, severity="general",
                     channel="hotline")["handle"].policy.name == "base"


def test_review_that_makes_a_ticket_major_reprices_its_running_clocks(org, users):
    make_policy("base", {"ticket": "10 working_days"})
    make_policy("major", {"ticket": "2 working_days"}, severity="major", priority=10)
    ticket = register(users, local(FRI, "09:00"))
    assert clocks(ticket)["ticket"].due_at == local("2026-11-27", "17:30")
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True, severity="major",
                    at=local(FRI, "09:10"))
    clock = clocks(ticket)["ticket"]
    assert clock.started_at == local(FRI, "09:00")  # from its own start
    assert clock.due_at == local("2026-11-17", "17:30")
    assert clock.explanation["rule"] == "2 working_days"


# -- the events ----------------------------------------------------------------------------

FULL_POLICY = {
    "dispatch": "5 calendar_minutes", "acknowledge": "2 working_hours", "handle": "12 calendar_hours",
    "progress": "24 calendar_hours", "reply": "1 working_days", "callback": "3 working_days",
    "ticket": "10 working_days",
}


def test_the_full_path_starts_and_stops_each_clock(org, users):
    make_policy("full", FULL_POLICY)
    at = local(FRI, "09:00")
    ticket = register(users, at, first_reported_at=at - dt.timedelta(hours=1))
    c = clocks(ticket)
    assert set(c) == {"dispatch", "ticket"}
    assert c["ticket"].started_at == at - dt.timedelta(hours=1)  # from the first report (001)
    assert c["ticket"].explanation["start_basis"] == "first_report"
    assert c["dispatch"].due_at == at + dt.timedelta(minutes=5)

    to_department(users, ticket, local(FRI, "09:02"))  # dispatched at 09:03: in time
    c = clocks(ticket)
    assert c["dispatch"].state == "met" and c["dispatch"].stopped_at == local(FRI, "09:03")
    assert {c[k].state for k in ("acknowledge", "handle", "progress", "ticket")} == {"running"}
    assert c["handle"].due_at == local(FRI, "21:03")
    assert c["acknowledge"].due_at == local(FRI, "11:03")
    assert c["progress"].due_at == local("2026-11-14", "09:03")

    t.ticket_acknowledge(ticket_id=ticket.pk, actor=users["handler"], at=local(FRI, "09:30"))
    assert clocks(ticket)["acknowledge"].state == "met"
    t.ticket_handle(ticket_id=ticket.pk, actor=users["handler"], notes="已退费", cause="sales",
                    at=local(FRI, "22:00"))  # after 21:03
    c = clocks(ticket)
    assert c["handle"].state == "missed"
    assert c["progress"].state == "running"  # reported until the audit accepts
    t.ticket_audit(ticket_id=ticket.pk, actor=users["dispatcher"], approve=True, at=local(MON, "09:00"))
    c = clocks(ticket)
    assert c["progress"].state == "missed"  # 24 h passed on Saturday morning
    assert c["reply"].state == "running" and c["reply"].due_at == local("2026-11-17", "17:30")
    t.ticket_reply(ticket_id=ticket.pk, actor=users["intake_agent"], text="已退还", at=local(MON, "10:00"))
    c = clocks(ticket)
    assert c["reply"].state == "met" and c["callback"].state == "running"
    t.ticket_callback(ticket_id=ticket.pk, actor=users["intake_agent"], satisfaction="satisfied",
                      at=local(MON, "11:00"))
    c = clocks(ticket)
    assert c["callback"].state == "met" and c["ticket"].state == "met"
    assert not [k for k, v in c.items() if v.state in ("running", "paused")]
    ticket.refresh_from_db()
    assert ticket.sla_status == "ok"


def test_the_short_path_replies_after_handling(org, users):
    make_policy("full", FULL_POLICY)
    at = local(FRI, "09:00")
    ticket = register(users, at, kind="inquiry", category="inquiry-tariff", elements={})
    to_department(users, ticket, at)
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=users["handler"], at=at + dt.timedelta(minutes=5))
    t.ticket_handle(ticket_id=ticket.pk, actor=users["handler"], notes="资费说明", at=at + dt.timedelta(hours=1))
    c = clocks(ticket)
    assert c["handle"].state == "met" and c["progress"].state == "met"
    assert c["reply"].state == "running"
    t.ticket_reply(ticket_id=ticket.pk, actor=users["intake_agent"], text="已答复", at=at + dt.timedelta(hours=2))
    assert {v.state for v in clocks(ticket).values()} <= {"met", "missed"}


def test_closing_at_once_stops_every_clock(org, users):
    make_policy("full", FULL_POLICY)
    ticket, _ = ticket_register(actor=users["intake_agent"], draft=draft(), at=local(FRI, "09:00"),
                                resolve_on_spot="已当场解释")
    assert {v.state for v in clocks(ticket).values()} == {"met"}
    other = register(users, local(FRI, "09:00"))
    t.ticket_review(ticket_id=other.pk, actor=users["dispatcher"], valid=False, reason="重复",
                    answer="已说明", at=local(FRI, "09:20"))
    c = clocks(other)
    assert c["dispatch"].state == "missed" and c["ticket"].state == "met"


def test_transfer_restarts_acknowledge_for_the_new_department_but_keeps_the_handling_deadline(org, users):
    city = Calendar.objects.create(name="甲市", hours=[["09:00", "12:00"], ["13:00", "18:00"]])
    city.org_units.add(org["city_a"])
    sla_config_changed()
    make_policy("full", FULL_POLICY | {"handle": "3 working_days"})
    ticket = register(users, local(FRI, "09:00"))
    to_department(users, ticket, local(FRI, "09:00"))
    before = clocks(ticket)
    t.ticket_transfer(ticket_id=ticket.pk, actor=users["handler"], department="sales-a", reason="属市场部",
                      at=local(FRI, "16:00"))
    c = clocks(ticket)
    ack = c["acknowledge"]
    assert ack.state == "running" and ack.started_at == local(FRI, "16:00")
    # Two working hours on City A's calendar (open until 18:00).
    assert ack.due_at == local(FRI, "18:00")
    assert ack.explanation["calendar"]["id"] == city.pk
    assert ack.explanation["calendar"]["org_unit"]["code"] == "p-a"
    assert ack.explanation["restarts"] == 1
    assert c["handle"].due_at == before["handle"].due_at
    assert c["handle"].explanation["calendar"]["id"] is None  # the billing department: built-in


def test_return_stops_acknowledge_and_a_new_dispatch_restarts_it(org, users):
    make_policy("full", FULL_POLICY)
    ticket = register(users, local(FRI, "09:00"))
    to_department(users, ticket, local(FRI, "09:00"))
    handle_due = clocks(ticket)["handle"].due_at
    t.ticket_return(ticket_id=ticket.pk, actor=users["handler"], reason="派错", at=local(FRI, "09:30"))
    c = clocks(ticket)
    assert c["acknowledge"].state == "met" and c["handle"].state == "running"
    t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"], department="network",
                      at=local(FRI, "10:00"))
    c = clocks(ticket)
    assert c["acknowledge"].state == "running" and c["acknowledge"].started_at == local(FRI, "10:00")
    assert c["handle"].due_at == handle_due and c["handle"].started_at == local(FRI, "09:01")
    assert TicketClock.objects.filter(ticket_id=ticket.pk, clock="handle").count() == 1


def test_audit_rejection_keeps_the_original_handling_deadline(org, users):
    make_policy("full", FULL_POLICY)
    ticket = register(users, local(FRI, "09:00"))
    to_department(users, ticket, local(FRI, "09:00"))
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=users["handler"], at=local(FRI, "09:10"))
    due = clocks(ticket)["handle"].due_at
    t.ticket_handle(ticket_id=ticket.pk, actor=users["handler"], notes="初步", cause="sales",
                    at=local(FRI, "12:00"))
    assert clocks(ticket)["handle"].state == "met"
    t.ticket_audit(ticket_id=ticket.pk, actor=users["dispatcher"], approve=False, note="未说明原因",
                   at=local(FRI, "14:00"))
    handle = clocks(ticket)["handle"]
    assert handle.state == "running" and handle.stopped_at is None
    assert handle.due_at == due
    assert handle.explanation["kept_from"] == "original deadline kept after audit rejection"
    t.ticket_handle(ticket_id=ticket.pk, actor=users["handler"], notes="补充", cause="sales",
                    at=local(FRI, "22:00"))
    assert clocks(ticket)["handle"].state == "missed"


def test_partial_handling_keeps_the_handling_clock_running(org, users):
    make_policy("full", FULL_POLICY)
    ticket = register(users, local(FRI, "09:00"))
    to_department(users, ticket, local(FRI, "09:00"))
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=users["handler"], at=local(FRI, "09:10"))
    t.ticket_handle(ticket_id=ticket.pk, actor=users["handler"], notes="先退部分", partial=True,
                    at=local(FRI, "10:00"))
    assert clocks(ticket)["handle"].state == "running"
    t.ticket_audit(ticket_id=ticket.pk, actor=users["dispatcher"], approve=True, at=local(FRI, "10:30"))
    c = clocks(ticket)
    assert c["handle"].state == "running" and c["progress"].state == "running" and "reply" not in c


def test_reopening_starts_a_new_cycle(org, users):
    make_policy("full", FULL_POLICY)
    ticket = register(users, local(FRI, "09:00"))
    to_department(users, ticket, local(FRI, "09:00"))
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=users["handler"], at=local(FRI, "09:10"))
    t.ticket_handle(ticket_id=ticket.pk, actor=users["handler"], notes="已处理", cause="sales", at=local(FRI, "10:00"))
    t.ticket_audit(ticket_id=ticket.pk, actor=users["dispatcher"], approve=True, at=local(FRI, "10:30"))
    t.ticket_reply(ticket_id=ticket.pk, actor=users["intake_agent"], text="已答复", at=local(FRI, "11:00"))
    # Dissatisfied: back to the centre, a new cycle.
    t.ticket_callback(ticket_id=ticket.pk, actor=users["intake_agent"], satisfaction="dissatisfied",
                      at=local(FRI, "15:00"))
    old, new = clocks(ticket, 0), clocks(ticket, 1)
    assert {c.state for c in old.values()} <= {"met", "missed"}
    assert set(new) == {"dispatch", "ticket"}
    assert new["ticket"].started_at == local(FRI, "15:00") and new["ticket"].state == "running"
    t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"], at=local(FRI, "15:02"))
    assert {"acknowledge", "handle", "progress"} <= set(clocks(ticket, 1))
    # Close it and reopen it: cycle 2.
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=users["handler"], at=local(FRI, "15:10"))
    t.ticket_handle(ticket_id=ticket.pk, actor=users["handler"], notes="再处理", cause="sales", at=local(FRI, "16:00"))
    t.ticket_audit(ticket_id=ticket.pk, actor=users["dispatcher"], approve=True, at=local(FRI, "16:10"))
    t.ticket_reply(ticket_id=ticket.pk, actor=users["intake_agent"], text="已答复", at=local(FRI, "16:20"))
    t.ticket_close(ticket_id=ticket.pk, actor=users["dispatcher"], reason="联系不上", at=local(MON, "09:00"))
    assert not TicketClock.objects.filter(ticket_id=ticket.pk, state__in=["running", "paused"]).exists()
    t.ticket_reopen(ticket_id=ticket.pk, actor=users["dispatcher"], reason="复发", at=local(MON, "10:00"))
    assert set(clocks(ticket, 2)) == {"dispatch", "ticket"}
    assert TicketClock.objects.filter(ticket_id=ticket.pk, state="running").count() == 2


# -- waiting on the customer ---------------------------------------------------------------

def test_pause_over_a_weekend_moves_the_deadline_by_the_working_time_left(org, users):
    make_policy("p", {"handle": "8 working_hours", "ticket": "48 calendar_hours"})
    ticket = register(users, local(FRI, "08:40"))
    to_department(users, ticket, local(FRI, "08:59"))  # dispatched at 09:00
    handle = clocks(ticket)["handle"]
    # 09:00-12:00 and 13:30-17:30 on Friday are 7 hours; the 8th is Monday 08:30-09:30.
    assert handle.due_at == local(MON, "09:30")
    assert handle.warn_at == local(FRI, "16:54")  # 80 % of 8 h = 6 h 24 min
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=users["handler"], at=local(FRI, "09:10"))

    t.ticket_request_info(ticket_id=ticket.pk, actor=users["handler"], question="请提供缴费凭证",
                          at=local(FRI, "15:30"))
    ticket.refresh_from_db()
    assert ticket.waiting_on_customer
    c = clocks(ticket)
    assert {c["handle"].state, c["ticket"].state} == {"paused"}
    with pytest.raises(Forbidden):
        t.ticket_request_info(ticket_id=ticket.pk, actor=users["handler"], question="再问", at=local(FRI, "16:00"))

    t.ticket_info_received(ticket_id=ticket.pk, actor=users["intake_agent"], answer="已提供",
                           at=local(MON, "10:00"))
    ticket.refresh_from_db()
    assert not ticket.waiting_on_customer
    c = clocks(ticket)
    handle = c["handle"]
    # Left at the pause: Friday 15:30-17:30 and Monday 08:30-09:30 = 3 working hours.
    assert handle.state == "running"
    assert handle.due_at == local(MON, "14:30")  # 10:00-12:00, then 13:30-14:30
    assert handle.warn_at == local(MON, "11:24")  # 1 h 24 min were left to the warning
    assert handle.explanation["pauses"] == [
        {"from": "2026-11-13T15:30:00+08:00", "to": "2026-11-16T10:00:00+08:00"}]
    # A calendar-time clock moves by the elapsed time left: 48 h from Fri 08:40 had 41 h 10 min
    # left at Fri 15:30.
    assert c["ticket"].due_at == local(MON, "10:00") + dt.timedelta(hours=41, minutes=10)


def test_a_clock_started_while_waiting_starts_paused(org, users):
    make_policy("full", FULL_POLICY)
    ticket = register(users, local(FRI, "09:00"))
    t.ticket_request_info(ticket_id=ticket.pk, actor=users["dispatcher"], question="请补充号码",
                          at=local(FRI, "09:01"))
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True, at=local(FRI, "09:02"))
    t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"], at=local(FRI, "09:03"))
    c = clocks(ticket)
    assert c["handle"].state == "paused" and c["handle"].paused_at == local(FRI, "09:03")
    t.ticket_info_received(ticket_id=ticket.pk, actor=users["handler"], at=local(FRI, "10:03"))
    assert clocks(ticket)["handle"].due_at == local(FRI, "22:03")  # 12 h, an hour later


def test_closing_a_waiting_ticket_ends_the_wait(org, users):
    make_policy("full", FULL_POLICY)
    ticket = register(users, local(FRI, "09:00"))
    t.ticket_request_info(ticket_id=ticket.pk, actor=users["dispatcher"], question="?", at=local(FRI, "09:01"))
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=False, reason="重复",
                    answer="已说明", at=local(FRI, "09:30"))
    ticket.refresh_from_db()
    assert not ticket.waiting_on_customer
    c = clocks(ticket)
    # Paused at 09:01, before the 5 minutes were up: met.
    assert c["dispatch"].state == "met" and c["dispatch"].explanation["pauses"][0]["to"] is not None


# -- agreed time, progress -----------------------------------------------------------------

def test_an_agreed_time_replaces_the_handling_deadline(org, users):
    make_policy("full", FULL_POLICY)
    ticket = register(users, local(FRI, "09:00"))
    to_department(users, ticket, local(FRI, "09:00"))
    agreed = local("2026-11-18", "16:00")
    t.ticket_set_agreed_time(ticket_id=ticket.pk, actor=users["handler"], agreed_time=agreed,
                             note="客户同意周三前处理", at=local(FRI, "10:00"))
    handle = clocks(ticket)["handle"]
    assert handle.due_at == agreed
    assert handle.explanation["agreed_time"] == "2026-11-18T16:00:00+08:00"
    # A point in time: waiting on the customer does not move it.
    t.ticket_request_info(ticket_id=ticket.pk, actor=users["handler"], question="?", at=local(FRI, "11:00"))
    t.ticket_info_received(ticket_id=ticket.pk, actor=users["handler"], at=local(MON, "11:00"))
    assert clocks(ticket)["handle"].due_at == agreed
    with pytest.raises(ValidationFailed):
        t.ticket_set_agreed_time(ticket_id=ticket.pk, actor=users["handler"], agreed_time=local(FRI, "08:00"),
                                 at=local(MON, "12:00"))


def test_an_agreed_time_given_at_registration_is_the_handling_deadline(org, users):
    make_policy("full", FULL_POLICY)
    agreed = local("2026-11-20", "12:00")
    ticket = register(users, local(FRI, "09:00"), agreed_time=agreed)
    to_department(users, ticket, local(FRI, "09:00"))
    handle = clocks(ticket)["handle"]
    assert handle.due_at == agreed and handle.explanation["rule"] == "12 calendar_hours"


def test_an_agreed_time_is_a_handling_deadline_even_without_a_rule(org, users):
    make_policy("only dispatch", {"dispatch": "5 calendar_minutes"})
    ticket = register(users, local(FRI, "09:00"))
    to_department(users, ticket, local(FRI, "09:00"))
    assert "handle" not in clocks(ticket)
    t.ticket_set_agreed_time(ticket_id=ticket.pk, actor=users["dispatcher"],
                             agreed_time=local(MON, "12:00"), at=local(FRI, "10:00"))
    handle = clocks(ticket)["handle"]
    assert handle.due_at == local(MON, "12:00") and handle.explanation["policy"] is None


def test_reporting_progress_starts_the_next_period(org, users):
    make_policy("full", FULL_POLICY)
    ticket = register(users, local(FRI, "09:00"))
    to_department(users, ticket, local(FRI, "09:00"))
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=users["handler"], at=local(FRI, "09:10"))
    t.ticket_report_progress(ticket_id=ticket.pk, actor=users["handler"], text="核实中", at=local(FRI, "20:00"))
    progress = clocks(ticket)["progress"]
    assert progress.started_at == local(FRI, "20:00")
    assert progress.due_at == local("2026-11-14", "20:00")
    assert progress.explanation["restarts"] == 1


def test_a_daily_progress_rule_is_due_by_its_hour_on_working_days(org, users):
    make_policy("daily", {"progress": ("1 calendar_hours", {"daily_at": dt.time(17, 0)})})
    ticket = register(users, local(FRI, "08:00"))
    to_department(users, ticket, local(FRI, "08:59"))
    progress = clocks(ticket)["progress"]
    assert progress.due_at == local(FRI, "17:00")
    assert progress.explanation["rule"] == "daily_at 17:00 after 1 calendar_hours"
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=users["handler"], at=local(FRI, "09:10"))
    t.ticket_report_progress(ticket_id=ticket.pk, actor=users["handler"], text="已核实", at=local(FRI, "16:30"))
    assert clocks(ticket)["progress"].due_at == local(MON, "17:00")  # not the weekend


# -- calendars -----------------------------------------------------------------------------

def test_the_nearest_calendar_up_the_tree_else_the_default_else_the_built_in(org):
    assert calendar_for_unit(org["county"].pk).id is None  # built-in
    assert calendar_for_unit(org["county"].pk).hours == (("08:30", "12:00"), ("13:30", "17:30"))
    default = Calendar.objects.create(name="省", is_default=True, hours=[["08:00", "12:00"], ["14:00", "18:00"]])
    city = Calendar.objects.create(name="甲市", hours=[["09:00", "17:00"]])
    city.org_units.add(org["city_a"])
    hotline = Calendar.objects.create(name="热线", always_open=True)
    sla_config_changed()
    assert calendar_for_unit(org["county"].pk).id == city.pk  # from its city
    assert calendar_for_unit(org["city_b"].pk).id == default.pk
    assert calendar_for_department(org["sales"].pk).id == city.pk
    assert calendar_for_department(org["billing"].pk).id == default.pk
    hotline.org_units.add(org["county"])
    sla_config_changed()
    info = calendar_for_unit(org["county"].pk)
    assert info.id == hotline.pk and info.calendar.always_open


def test_overrides_of_the_nearest_unit_win(org):
    monday = dt.date(2026, 11, 16)
    CalendarOverride.objects.create(day=monday, kind="rest", note="全省停工")
    CalendarOverride.objects.create(day=monday, org_unit=org["city_a"], kind="workday",
                                    hours=[["09:00", "12:00"]], note="甲市照常上班半天")
    sla_config_changed()
    assert calendar_for_unit(org["city_b"].pk).calendar.day_kind(monday) == "rest"
    county = calendar_for_unit(org["county"].pk).calendar
    assert county.day_kind(monday) == "workday"
    assert county.hours_on(monday) == ((dt.time(9), dt.time(12)),)


def test_a_deadline_reaching_into_a_year_nobody_entered_is_flagged_not_guessed(org, users, caplog):
    make_policy("claims", {"handle": "3 working_days", "ticket": "10 working_days"})
    caplog.set_level(logging.WARNING, logger="complaintdesk.sla.services.clocks")
    ticket = register(users, local("2026-12-29", "10:00"))
    to_department(users, ticket, local("2026-12-29", "10:00"))
    c = clocks(ticket)
    handle = c["handle"]  # Dec 30, Dec 31, then 2027: not in the official table
    assert handle.calendar_missing and handle.due_at is None and handle.warn_at is None
    assert handle.explanation["calendar_missing"] is True
    assert handle.explanation["missing_years"] == [2027]
    assert "no working calendar for 2027" in caplog.text
    ticket.refresh_from_db()
    assert ticket.calendar_missing

    # The admin enters 2027: the next computation counts it.
    CalendarYear.objects.create(year=2027, holidays=["2027-01-01"], workdays=[])
    sla_config_changed()
    assert clocks_recompute(ticket=ticket, at=local("2026-12-29", "11:00")) == 2
    handle = clocks(ticket)["handle"]
    assert handle.due_at == local("2027-01-04", "17:30") and not handle.calendar_missing
    ticket.refresh_from_db()
    assert not ticket.calendar_missing

    other = register(users, local("2026-12-29", "10:00"))
    to_department(users, other, local("2026-12-29", "10:00"))
    assert clocks(other)["handle"].due_at == local("2027-01-04", "17:30")


def test_the_official_calendar_counts_holidays_and_make_up_days(org, users):
    make_policy("p", {"handle": "3 working_days"})
    ticket = register(users, local("2026-09-30", "10:00"))
    to_department(users, ticket, local("2026-09-30", "10:00"))
    # National Day: 1-7 October off; Thursday 8, Friday 9 and the make-up Saturday 10 work.
    assert clocks(ticket)["handle"].due_at == local("2026-10-10", "17:30")


def test_schedule_is_pure_arithmetic():
    from complaintdesk.sla.calendar import WorkingCalendar
    from complaintdesk.sla.services.policies import _rule

    rule = _rule((1, 1, "handle", Decimal("8"), "working_hours", None, Decimal("0.5"), []))
    cal = WorkingCalendar()
    plan = schedule(cal, rule, local(FRI, "09:00"),
                    [(local(FRI, "15:30"), local(MON, "10:00"))])
    assert plan.due == local(MON, "14:30")
    assert plan.warn == local(FRI, "14:30")  # 4 h: before the pause, so it stays


# -- explanations and the API --------------------------------------------------------------

def test_every_deadline_explains_itself(org, users):
    policy = make_policy("投诉", {"handle": "12 working_hours"})
    calendar = Calendar.objects.create(name="省", is_default=True)
    sla_config_changed()
    ticket = register(users, local(FRI, "09:00"))
    to_department(users, ticket, local(FRI, "09:00"))
    e = clocks(ticket)["handle"].explanation
    assert {"policy", "rule", "calendar", "start", "pauses", "agreed_time", "kept_from",
            "calendar_missing", "missing_years"} <= set(e)
    assert e["policy"] == {"id": policy.pk, "name": "投诉", "name_en": "投诉"}
    assert e["rule"] == "12 working_hours"
    assert {"id": calendar.pk, "name": "省", "always_open": False,
            "hours": [["08:30", "12:00"], ["13:30", "17:30"]]}.items() <= e["calendar"].items()
    assert e["start"] == "2026-11-13T09:01:00+08:00"
    assert e["pauses"] == [] and e["agreed_time"] is None and e["kept_from"] is None
    assert e["calendar_missing"] is False and e["missing_years"] == []


def test_the_api_shows_each_clock_with_the_time_left(org, users, api):
    make_policy("full", FULL_POLICY | {"handle": "3 working_days"})
    now = timezone.now()
    ticket = register(users, now - dt.timedelta(hours=1))
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True, at=now - dt.timedelta(minutes=50))
    t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"], at=now - dt.timedelta(minutes=49))
    body = api(users["dispatcher"]).get(f"/tickets/{ticket.pk}").json()
    by = {c["clock"]: c for c in body["clocks"]}
    assert [c["clock"] for c in body["clocks"]] == ["dispatch", "acknowledge", "handle", "progress", "ticket"]
    assert by["dispatch"]["state"] == "missed" and by["dispatch"]["remaining_seconds"] is None
    assert by["handle"]["label"] == "Handling deadline" and by["handle"]["state_label"] == "Running"
    assert by["handle"]["remaining_seconds"] > 0 and by["handle"]["remaining_working_minutes"] > 0
    assert by["progress"]["remaining_working_minutes"] is None  # calendar hours: not meaningful
    assert by["handle"]["explanation"]["rule"] == "3 working_days"
    assert {"sla_status", "waiting_on_customer", "calendar_missing"} <= set(body)

    r = api(users["handler"]).post(f"/tickets/{ticket.pk}/request-info", {"question": "请提供凭证"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["waiting_on_customer"] is True
    handle = next(c for c in body["clocks"] if c["clock"] == "handle")
    assert handle["state"] == "paused" and handle["remaining_seconds"] is None
    assert handle["remaining_working_minutes"] is not None  # frozen at the pause
    r = api(users["handler"]).post(f"/tickets/{ticket.pk}/request-info", {"question": "再问"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "refused_already_waiting"
    r = api(users["intake_agent"]).post(f"/tickets/{ticket.pk}/info-received", {"answer": "已提供"})
    assert r.status_code == 200 and r.json()["waiting_on_customer"] is False
    r = api(users["handler"]).post(f"/tickets/{ticket.pk}/acknowledge", {})
    assert r.status_code == 200, r.content
    r = api(users["handler"]).post(f"/tickets/{ticket.pk}/report-progress", {"text": "核实中"})
    assert r.status_code == 200, r.content
    agreed = (now + dt.timedelta(days=2)).replace(microsecond=0)
    r = api(users["handler"]).post(f"/tickets/{ticket.pk}/agreed-time", {"agreed_time": agreed.isoformat()})
    assert r.status_code == 200, r.content
    handle = next(c for c in r.json()["clocks"] if c["clock"] == "handle")
    assert dt.datetime.fromisoformat(handle["due_at"]) == agreed
    r = api(users["handler"]).post(f"/tickets/{ticket.pk}/agreed-time",
                                   {"agreed_time": (now - dt.timedelta(days=1)).isoformat()})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "agreed_time"


def test_the_list_filters_at_risk_and_overdue_tickets_in_a_fixed_number_of_queries(org, users, api):
    make_policy("p", {"dispatch": "10 calendar_minutes"})
    caller = api(users["dispatcher"])

    def make(age_minutes: int, n: int = 1):
        now = timezone.now()
        for _ in range(n):
            ticket = register(users, now - dt.timedelta(minutes=age_minutes))
            # Any event brings the status up to date (and so does the scan).
            t.ticket_urge(ticket_id=ticket.pk, actor=users["supervisor"], note="催", at=now)

    make(30)  # overdue
    make(9)  # at risk: warned at 8 minutes
    make(1)  # on time
    statuses = sorted(Ticket.objects.values_list("sla_status", flat=True))
    assert statuses == ["at_risk", "ok", "overdue"]
    assert [x["sla_status"] for x in caller.get("/tickets?sla=overdue").json()["items"]] == ["overdue"]
    assert [x["sla_status"] for x in caller.get("/tickets?sla=at_risk").json()["items"]] == ["at_risk"]
    assert len(caller.get("/tickets?sla=at_risk,overdue").json()["items"]) == 2
    assert caller.get("/tickets?sla=late").status_code == 422

    def count(path):
        with CaptureQueriesContext(connection) as ctx:
            response = caller.get(path)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.json()["items"])

    small = count("/tickets?sla=overdue&limit=50")
    make(30, n=12)
    large = count("/tickets?sla=overdue&limit=50")
    assert large[1] == 13 and small[0] == large[0] <= 10


def test_an_event_costs_a_few_queries_whatever_the_history(org, users, monkeypatch):
    """The engine adds to each event one query to load (and lock) the clocks, at most one to
    insert and one or two to update them; the ticket's status goes out with the ticket's own
    update. A ticket with a longer history costs the same."""
    make_policy("full", FULL_POLICY)
    u = users

    def department_round(ticket, at) -> list[int]:
        steps = (
            lambda a: t.ticket_dispatch(ticket_id=ticket.pk, actor=u["dispatcher"], at=a),
            lambda a: t.ticket_acknowledge(ticket_id=ticket.pk, actor=u["handler"], at=a),
            lambda a: t.ticket_request_info(ticket_id=ticket.pk, actor=u["handler"], question="?", at=a),
            lambda a: t.ticket_info_received(ticket_id=ticket.pk, actor=u["handler"], at=a),
            lambda a: t.ticket_report_progress(ticket_id=ticket.pk, actor=u["handler"], text="p", at=a),
            lambda a: t.ticket_handle(ticket_id=ticket.pk, actor=u["handler"], notes="n", cause="sales", at=a),
            lambda a: t.ticket_audit(ticket_id=ticket.pk, actor=u["dispatcher"], approve=True, at=a),
            lambda a: t.ticket_reply(ticket_id=ticket.pk, actor=u["intake_agent"], text="r", at=a),
        )
        counts = []
        for step in steps:
            at += dt.timedelta(minutes=10)
            with CaptureQueriesContext(connection) as ctx:
                step(at)
            counts.append(len(ctx.captured_queries))
        return counts

    def fresh():
        ticket = register(u, local(FRI, "08:00"))
        t.ticket_review(ticket_id=ticket.pk, actor=u["dispatcher"], valid=True, at=local(FRI, "08:01"))
        return ticket

    department_round(fresh(), local(FRI, "08:02"))  # the caches are warm from here on
    first = department_round(fresh(), local(FRI, "08:02"))
    again = fresh()
    department_round(again, local(FRI, "08:02"))
    t.ticket_callback(ticket_id=again.pk, actor=u["intake_agent"], satisfaction="dissatisfied",
                      at=local(FRI, "10:00"))
    second_cycle = department_round(again, local(FRI, "10:01"))
    assert second_cycle == first

    monkeypatch.setattr(t, "clocks_on_event", lambda **kw: [])
    without = department_round(fresh(), local(FRI, "08:02"))
    extra = [b - a for a, b in zip(without, first, strict=True)]
    assert all(1 <= e <= 3 for e in extra), (without, first)


def test_status_refresh_sees_time_pass(org, users):
    make_policy("p", {"dispatch": "5 calendar_minutes"})
    ticket = register(users, local(FRI, "09:00"))
    assert Ticket.objects.get(pk=ticket.pk).sla_status == "ok"
    ticket_sla_status_refresh(ticket_id=ticket.pk, now=local(FRI, "09:10"))
    assert Ticket.objects.get(pk=ticket.pk).sla_status == "overdue"


# -- the demo's policies -------------------------------------------------------------------

def test_the_demo_policies_name_real_things():
    from complaintdesk.demo import catalogue as cat
    from complaintdesk.demo import policies as demo
    from complaintdesk.sla.calendar import Duration, Unit
    from complaintdesk.sla.services.calendars import parse_hours
    from complaintdesk.sla.vocabulary import ClockType, DurationUnit, EscalationTarget

    categories = {c.code for c in cat.CATEGORIES}
    units = {u.code for u in cat.ORG_UNITS}
    assert sum(c.is_default for c in demo.CALENDARS) == 1
    for calendar in demo.CALENDARS:
        parse_hours([list(h) for h in calendar.hours])
        assert set(calendar.org_units) <= units
    for policy in demo.POLICIES:
        assert not policy.category or policy.category in categories
        assert policy.kind in ("", *cat.KINDS) and policy.severity in ("", *cat.SEVERITIES)
        clocks = [r.clock for r in policy.rules]
        assert len(clocks) == len(set(clocks)), policy.name
        for rule in policy.rules:
            ClockType(rule.clock)
            Duration(Decimal(rule.amount), Unit(DurationUnit(rule.unit).value))
            assert all(EscalationTarget(step["notify"]) for step in rule.ladder_json())


def test_odd_offsets_of_an_agreed_time_are_stored_in_utc(org, users, api):
    make_policy("full", FULL_POLICY)
    ticket = register(users, timezone.now() - dt.timedelta(hours=1))
    odd = (timezone.now() + dt.timedelta(days=1)).astimezone(dt.timezone(dt.timedelta(hours=22, minutes=31)))
    r = api(users["dispatcher"]).post(f"/tickets/{ticket.pk}/agreed-time", {"agreed_time": odd.isoformat()})
    assert r.status_code == 200, r.content
    assert Ticket.objects.get(pk=ticket.pk).agreed_time == odd


def test_closing_a_breached_ticket_resolves_its_ledger_entries(org, users):
    from complaintdesk.sla.models import LedgerEntry
    from complaintdesk.sla.services.scan import sla_scan

    make_policy("full", FULL_POLICY)
    at = local(FRI, "09:00")
    ticket = register(users, at)
    late = at + dt.timedelta(minutes=30)  # the 5-minute dispatch deadline is long gone
    sla_scan(now=late)
    entries = LedgerEntry.objects.filter(ticket_id=ticket.pk)
    assert [e.resolved_at for e in entries] == [None]
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=False, reason="重复",
                    answer="已说明", at=late + dt.timedelta(minutes=1))
    assert [e.resolved_at for e in entries.all()] == [late + dt.timedelta(minutes=1)]


def test_entering_the_missing_year_in_the_admin_recomputes_the_flagged_deadlines(
        org, users, client, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    make_policy("claims", {"handle": "3 working_days"})
    ticket = register(users, local("2026-12-29", "10:00"))
    to_department(users, ticket, local("2026-12-29", "10:00"))
    assert clocks(ticket)["handle"].calendar_missing

    root = get_user_model().objects.create_superuser(
        username="root", password="pw-for-tests-1", role="admin", org_unit=org["province"])
    client.force_login(root)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:sla_calendaryear_add"), {
            "year": 2027, "holidays": '["2027-01-01"]', "workdays": "[]", "note": "国务院通知",
        }, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    handle = clocks(ticket)["handle"]
    assert handle.due_at == local("2027-01-04", "17:30") and not handle.calendar_missing


def test_the_recompute_command_reports_what_it_did(org, users):
    import io

    from django.core.management import call_command

    make_policy("claims", {"handle": "3 working_days"})
    ticket = register(users, local("2026-12-29", "10:00"))
    to_department(users, ticket, local("2026-12-29", "10:00"))
    out = io.StringIO()
    call_command("sla_recompute", stdout=out)
    assert "tickets: 1, clocks changed: 0, tickets still without a calendar: 1" in out.getvalue()
    CalendarYear.objects.create(year=2027, holidays=["2027-01-01"], workdays=[])
    out = io.StringIO()
    call_command("sla_recompute", stdout=out)
    assert "clocks changed: 1, tickets still without a calendar: 0" in out.getvalue()
