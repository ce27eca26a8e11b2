"""The deadline scan (warn, breach, escalate), the complaint ledger and its dossiers, the
ledger's search, API, export and admin, and the background job that runs it all.

Clocks are made directly with the ORM: the scan must not depend on the clock engine."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaintdesk.accounts.models import User
from complaintdesk.notifications.models import Message
from complaintdesk.sla import selectors
from complaintdesk.sla.models import CaseDossier, ClockRule, LedgerEntry, Policy, TicketClock
from complaintdesk.sla.services.ledger import ledger_resolve_for_ticket
from complaintdesk.sla.services.scan import (
    ScanResult,
    escalation_next_at,
    ladder_steps,
    sla_scan,
)
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.services import transitions as t

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
LADDER = [
    {"after_minutes": 0, "notify": "supervisor"},
    {"after_minutes": 60, "notify": "dept_head"},
    {"after_minutes": 120, "notify": "leader"},
]


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def rule(db):
    policy = Policy.objects.create(name="测试策略", name_en="Test policy")
    return ClockRule.objects.create(policy=policy, clock="handle", amount=12, unit="working_hours",
                                    ladder=LADDER)


@pytest.fixture
def desk(org, make_ticket):
    """Tickets in several places of the tree, and staff to tell; no clocks yet."""
    u = org["users"]
    extra = {
        # a supervisor of city A: nearer than the province's for tickets under city A
        "city_supervisor": User.objects.create_user(
            username="sup-a", password="pw-for-tests-1", role="supervisor", org_unit=org["city_a"],
            department=org["centre"], display_name="sup-a"),
        "handler2": User.objects.create_user(
            username="handler2", password="pw-for-tests-1", role="handler", org_unit=org["province"],
            department=org["billing"], display_name="handler2"),
    }

    def dispatched(assignee="", **kw):
        ticket = make_ticket(**kw)
        t.ticket_review(ticket_id=ticket.pk, actor=u["dispatcher"], valid=True)
        t.ticket_dispatch(ticket_id=ticket.pk, actor=u["dispatcher"], department="billing", assignee=assignee)
        return Ticket.objects.get(pk=ticket.pk)

    tickets = {
        "assigned": dispatched(assignee="handler"),  # province, billing, lead assignee
        "department": dispatched(),  # province, billing, no assignee: the handlers are told
        "county": dispatched(org_unit="p-a-1"),  # under city A: city A's supervisor
        "city_b": make_ticket(org_unit="p-b", title="乙市来电无人处理"),  # not dispatched
    }
    # Whatever the clock engine may have started for these tickets is not this test's business.
    TicketClock.objects.all().delete()
    return {"users": {**u, **extra}, "tickets": tickets, "org": org}


def clock(ticket, *, due, warn=None, rule=None, kind="handle", cycle=0, state="running"):
    return TicketClock.objects.create(
        ticket=ticket, clock=kind, cycle=cycle, rule=rule, state=state, started_at=due - 12 * H,
        due_at=due, warn_at=warn,
    )


def messages_of(c, kind=""):
    return Message.objects.filter(dedupe_key__startswith=f"clock:{c.pk}:{kind}")


def recipients(c, kind=""):
    return sorted(messages_of(c, kind).values_list("recipient_user__username", flat=True))


# --- the ladder ------------------------------------------------------------------------------


def test_ladder_steps_put_the_breach_first_and_drop_malformed_steps():
    assert ladder_steps(LADDER) == [(0, "supervisor"), (60, "dept_head"), (120, "leader")]
    assert ladder_steps([]) == [(0, "supervisor")]
    assert ladder_steps(None) == [(0, "supervisor")]
    assert ladder_steps([{"after_minutes": 30, "notify": "leader"}]) == [(0, "supervisor"), (30, "leader")]
    assert ladder_steps([{"after_minutes": "x", "notify": "leader"}, "junk", {"notify": "nobody"}]) == [(0, "supervisor")]
    due = dt.datetime(2026, 5, 6, 9, tzinfo=dt.UTC)
    assert escalation_next_at(due_at=due, level=1, ladder=LADDER) == due + 60 * M
    assert escalation_next_at(due_at=due, level=3, ladder=LADDER) is None


# --- nothing due -----------------------------------------------------------------------------


def test_nothing_due_costs_three_index_probes_and_writes_nothing(desk, rule, now):
    for ticket in desk["tickets"].values():
        clock(ticket, due=now + 5 * H, warn=now + 4 * H, rule=rule)
    before = Message.objects.count()  # the dispatches told the departments
    with CaptureQueriesContext(connection) as ctx:
        result = sla_scan(now=now)
    assert result == ScanResult(0, 0, 0)
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert len(sqls) == 3, sqls
    assert all(s.lstrip().upper().startswith("SELECT") for s in sqls), sqls
    assert Message.objects.count() == before and not LedgerEntry.objects.exists()


def test_the_probes_use_the_partial_indexes(desk, now):
    from complaintdesk.sla.services.scan import breach_due, escalation_due, warn_due

    for due, index in ((warn_due, "clock_warn_due"), (breach_due, "clock_breach_due"),
                       (escalation_due, "clock_escalation_due")):
        plan = due(now).explain()
        if connection.vendor == "sqlite":
            assert index in plan, plan
        # PostgreSQL picks by statistics: on a near-empty table a sequential scan is cheaper;
        # bench/sla_scan.py shows the index range scan with a million clocks.


# --- warn ------------------------------------------------------------------------------------


def test_warning_goes_to_the_assignee_once_and_the_ticket_is_at_risk(desk, rule, now):
    tickets = desk["tickets"]
    c = clock(tickets["assigned"], due=now + 2 * H, warn=now - M, rule=rule)
    assert sla_scan(now=now) == ScanResult(warned=1)
    c.refresh_from_db()
    assert c.warned_at == now and c.breached_at is None and c.escalation_level == 0
    assert Ticket.objects.get(pk=c.ticket_id).sla_status == "at_risk"
    assert recipients(c, "warn") == ["handler"]
    message = messages_of(c, "warn").get()
    assert message.template == "clock_warning" and message.channel == "in_app"
    assert message.status == "sent", message.last_error  # rendered: the context fits the template
    # again: nothing more
    assert sla_scan(now=now + M) == ScanResult()
    assert messages_of(c).count() == 1


def test_warning_without_an_assignee_goes_to_the_department_else_the_owner(desk, rule, now):
    tickets = desk["tickets"]
    held = clock(tickets["department"], due=now + 2 * H, warn=now - M, rule=rule)
    unheld = clock(tickets["city_b"], due=now + 2 * H, warn=now - M, rule=rule)
    assert sla_scan(now=now).warned == 2
    assert recipients(held, "warn") == ["handler", "handler2"]
    assert recipients(unheld, "warn") == ["agent"]  # the first-contact owner


def test_a_warning_already_past_the_deadline_is_not_sent(desk, rule, now):
    c = clock(desk["tickets"]["assigned"], due=now - M, warn=now - H, rule=rule)
    result = sla_scan(now=now)
    assert (result.warned, result.breached) == (1, 1)
    assert not messages_of(c, "warn").exists()
    assert messages_of(c, "breach").exists()


def test_paused_and_stopped_clocks_are_not_scanned(desk, rule, now):
    ticket = desk["tickets"]["assigned"]
    clock(ticket, due=now - H, warn=now - 2 * H, rule=rule, state="paused")
    clock(ticket, due=now - H, warn=now - 2 * H, rule=rule, state="met", kind="reply")
    assert sla_scan(now=now) == ScanResult()


# --- breach ----------------------------------------------------------------------------------


def test_breach_flags_the_ticket_tells_the_supervisor_and_opens_ledger_and_dossier(desk, rule, now):
    ticket = desk["tickets"]["assigned"]
    due = now - 10 * M
    c = clock(ticket, due=due, warn=now - 2 * H, rule=rule)
    c.warned_at = now - 2 * H
    c.save()
    assert sla_scan(now=now) == ScanResult(breached=1)
    c.refresh_from_db()
    assert (c.breached_at, c.escalation_level, c.next_escalation_at) == (now, 1, due + 60 * M)
    ticket.refresh_from_db()
    assert ticket.sla_status == "overdue"
    assert recipients(c, "breach") == ["supervisor"]
    message = messages_of(c, "breach").get()
    assert message.template == "clock_breached" and message.status == "sent", message.last_error

    entry = LedgerEntry.objects.get(clock=c)
    assert (entry.ticket_id, entry.level, entry.opened_at, entry.resolved_at) == (ticket.pk, 1, now, None)
    assert entry.org_unit_id == ticket.org_unit_id and entry.department_id == desk["org"]["billing"].pk
    assert entry.summary.startswith(ticket.title)
    snap = CaseDossier.objects.get(ledger_entry=entry).snapshot
    assert snap["ticket"]["number"] == ticket.number
    assert snap["ticket"]["lead_department"]["code"] == "billing"
    assert snap["clock"]["due_at"] == due.isoformat() and snap["clock"]["clock"] == "handle"
    assert snap["customer"]["phones"] == ["+8613800138000"]
    assert [a["department"]["code"] for a in snap["assignments"]] == ["billing"]
    assert [e["type"] for e in snap["events"]] == ["registered", "reviewed_valid", "dispatched"]
    people = {p["username"]: p["involvement"] for p in snap["people"]}
    assert people["agent"] == ["actor", "owner"]
    assert "dispatcher" in people["dispatcher"] and "assignee" in people["handler"]

    # idempotent: a second scan (or a second worker) adds nothing
    assert sla_scan(now=now + M) == ScanResult()
    assert LedgerEntry.objects.count() == 1 and CaseDossier.objects.count() == 1
    assert messages_of(c).count() == 1


def test_the_nearest_supervisor_up_the_tree_is_told(desk, rule, now):
    tickets = desk["tickets"]
    county = clock(tickets["county"], due=now - M, rule=rule)
    city_b = clock(tickets["city_b"], due=now - M, rule=rule)
    assert sla_scan(now=now).breached == 2
    assert recipients(county, "breach") == ["sup-a"]  # city A's, not the province's
    assert recipients(city_b, "breach") == ["supervisor"]  # none in city B: the province's


def test_a_clock_without_a_rule_breaches_on_the_default_ladder(desk, now):
    c = clock(desk["tickets"]["assigned"], due=now - M)
    assert sla_scan(now=now).breached == 1
    c.refresh_from_db()
    assert (c.escalation_level, c.next_escalation_at) == (1, None)
    assert recipients(c, "breach") == ["supervisor"]


def test_two_clocks_of_one_ticket_each_get_their_entry(desk, rule, now):
    ticket = desk["tickets"]["assigned"]
    a = clock(ticket, due=now - M, rule=rule)
    b = clock(ticket, due=now - M, rule=rule, kind="ticket")
    assert sla_scan(now=now).breached == 2
    assert set(LedgerEntry.objects.values_list("clock_id", flat=True)) == {a.pk, b.pk}
    assert CaseDossier.objects.filter(ticket=ticket).count() == 2


# --- escalate --------------------------------------------------------------------------------


def test_escalation_climbs_the_ladder_one_level_at_a_time(desk, rule, now):
    ticket = desk["tickets"]["assigned"]
    due = now - M
    c = clock(ticket, due=due, rule=rule)
    sla_scan(now=now)
    assert sla_scan(now=now + 30 * M) == ScanResult()  # level 2 is due an hour after the deadline

    assert sla_scan(now=due + 61 * M) == ScanResult(escalated=1)
    c.refresh_from_db()
    assert (c.escalation_level, c.next_escalation_at) == (2, due + 120 * M)
    assert recipients(c, "level:2") == ["head"]  # the billing department's head
    message = messages_of(c, "level:2").get()
    assert message.template == "escalated" and message.status == "sent", message.last_error
    assert LedgerEntry.objects.get(clock=c).level == 2

    assert sla_scan(now=due + 121 * M) == ScanResult(escalated=1)
    c.refresh_from_db()
    assert (c.escalation_level, c.next_escalation_at) == (3, None)
    assert recipients(c, "level:3") == ["leader"]
    assert LedgerEntry.objects.get(clock=c).level == 3
    assert sla_scan(now=due + 1000 * M) == ScanResult()
    assert messages_of(c).count() == 3


def test_a_late_scan_catches_up_every_level_once(desk, rule, now):
    c = clock(desk["tickets"]["assigned"], due=now - 3 * H, rule=rule)
    assert sla_scan(now=now) == ScanResult(breached=1, escalated=2)
    c.refresh_from_db()
    assert (c.escalation_level, c.next_escalation_at) == (3, None)
    assert [m.dedupe_key.split(":")[2] for m in messages_of(c).order_by("id")] == ["breach", "level", "level"]
    assert sla_scan(now=now) == ScanResult()


def test_a_department_head_missing_is_stood_in_for_by_the_supervisor(desk, rule, now):
    c = clock(desk["tickets"]["city_b"], due=now - 2 * H + M, rule=rule)  # no department holds it
    assert sla_scan(now=now) == ScanResult(breached=1, escalated=1)
    assert recipients(c, "level:2") == ["supervisor"]


def test_a_clock_that_stopped_escalates_no_further(desk, rule, now):
    c = clock(desk["tickets"]["assigned"], due=now - M, rule=rule)
    sla_scan(now=now)
    TicketClock.objects.filter(pk=c.pk).update(state="met", stopped_at=now + M)
    assert sla_scan(now=now + 2 * H) == ScanResult()
    c.refresh_from_db()
    assert (c.escalation_level, c.next_escalation_at) == (1, None)
    assert not messages_of(c, "level").exists()


def test_a_clock_with_a_fresh_deadline_that_breaches_again_is_news_again(desk, rule, now):
    """The clock engine clears the breach when the deadline moves later (an agreed time);
    missing the new deadline tells the supervisor again; the ledger keeps its one entry."""
    c = clock(desk["tickets"]["assigned"], due=now - M, rule=rule)
    sla_scan(now=now)
    TicketClock.objects.filter(pk=c.pk).update(due_at=now + H, breached_at=None, escalation_level=0,
                                               next_escalation_at=None)
    assert sla_scan(now=now + 30 * M) == ScanResult()
    assert sla_scan(now=now + H + 5 * M) == ScanResult(breached=1)
    assert messages_of(c, "breach").count() == 2
    assert LedgerEntry.objects.filter(clock=c).count() == 1 and CaseDossier.objects.count() == 1


def test_batches_cost_a_fixed_number_of_queries(desk, rule, now, make_ticket):
    """Past the messages (one insert each, through the outbox service), a batch of breaches
    costs the same queries for 2 clocks as for 12."""
    def breaches(n):
        made = []
        for _ in range(n):
            ticket = make_ticket()
            t.ticket_review(ticket_id=ticket.pk, actor=desk["users"]["dispatcher"], valid=True)
            made.append(ticket)
        TicketClock.objects.filter(ticket__in=made).delete()
        for ticket in made:
            clock(ticket, due=now - M, rule=rule)
        with CaptureQueriesContext(connection) as ctx:
            assert sla_scan(now=now).breached == n
        return [q["sql"] for q in ctx.captured_queries
                if "notifications_message" not in q["sql"] and "SAVEPOINT" not in q["sql"].upper()]

    small, large = breaches(2), breaches(12)
    assert len(small) == len(large), "\n".join(large)


def test_ledger_resolves_when_the_ticket_closes(desk, rule, now):
    ticket = desk["tickets"]["assigned"]
    clock(ticket, due=now - M, rule=rule)
    clock(ticket, due=now - M, rule=rule, kind="ticket")
    sla_scan(now=now)
    assert ledger_resolve_for_ticket(ticket_id=ticket.pk, at=now + H) == 2
    assert ledger_resolve_for_ticket(ticket_id=ticket.pk, at=now + 2 * H) == 0
    assert set(LedgerEntry.objects.values_list("resolved_at", flat=True)) == {now + H}


# --- the job, the commands -------------------------------------------------------------------


def test_the_periodic_job_scans_and_sends(desk, rule, now):
    from complaintdesk.sla.tasks import deadlines_every_minute

    c = clock(desk["tickets"]["assigned"], due=now - M, rule=rule)
    deadlines_every_minute()  # huey's immediate mode under pytest: runs here and now
    assert LedgerEntry.objects.filter(clock=c).exists()


def test_sla_scan_command_once(desk, rule, now):
    c = clock(desk["tickets"]["assigned"], due=now - M, rule=rule)
    out = io.StringIO()
    call_command("sla_scan", "--once", "--json", stdout=out)
    assert '"breached": 1' in out.getvalue()
    assert LedgerEntry.objects.filter(clock=c).exists()
    out = io.StringIO()
    call_command("sla_scan", "--once", f"--now={(now + 2 * H).isoformat()}", "--batch=1", stdout=out)
    assert "escalated 2" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("sla_scan", "--once", "--now=yesterday")


def test_worker_refuses_in_immediate_mode():
    with pytest.raises(CommandError, match="no queue"):
        call_command("worker")


# --- the ledger: search, API, export, admin --------------------------------------------------


@pytest.fixture
def ledger(desk, rule, now):
    """One breached clock per ticket: entries of billing (province, county) and of city B."""
    for ticket in desk["tickets"].values():
        clock(ticket, due=now - M, rule=rule)
    sla_scan(now=now)
    return {e.ticket_id: e for e in LedgerEntry.objects.all()}


def _numbers(page):
    return sorted(e.ticket.number for e in page.items)


def test_ledger_search_is_scoped_like_tickets(desk, ledger):
    u, tk = desk["users"], desk["tickets"]
    everyone = sorted(x.number for x in tk.values())
    billing = sorted(tk[k].number for k in ("assigned", "department", "county"))
    assert _numbers(selectors.ledger_search(viewer=u["admin"])) == everyone
    assert _numbers(selectors.ledger_search(viewer=u["supervisor"])) == everyone
    assert _numbers(selectors.ledger_search(viewer=u["city_supervisor"])) == [tk["county"].number]
    assert _numbers(selectors.ledger_search(viewer=u["city_b_dispatcher"])) == [tk["city_b"].number]
    assert _numbers(selectors.ledger_search(viewer=u["handler"])) == billing
    assert _numbers(selectors.ledger_search(viewer=u["network_handler"])) == []


def test_ledger_search_filters(desk, ledger, now):
    u, tk = desk["users"], desk["tickets"]
    sup = u["supervisor"]

    def search(**kw):
        return _numbers(selectors.ledger_search(viewer=sup, **kw))

    assert search(q=tk["county"].number) == [tk["county"].number]
    assert search(q="乙市来电") == [tk["city_b"].number]
    assert search(org_unit="p-a") == [tk["county"].number]
    assert search(department="billing") == sorted(tk[k].number for k in ("assigned", "department", "county"))
    assert search(date_from=now + M) == []
    assert len(search(date_from=now - M, date_to=now + M)) == 4
    ledger_resolve_for_ticket(ticket_id=tk["city_b"].pk, at=now)
    assert tk["city_b"].number not in search(open_only=True)
    from complaintdesk.core.errors import ValidationFailed

    for bad in ({"org_unit": "nowhere"}, {"department": "nowhere"}, {"cursor": "zzz"},
                {"date_from": dt.datetime(1, 1, 2)}):
        with pytest.raises(ValidationFailed):
            selectors.ledger_search(viewer=sup, **bad)


def test_ledger_pages_by_cursor_at_a_fixed_query_count(desk, ledger):
    sup = desk["users"]["supervisor"]
    seen, cursor, pages = [], "", 0
    while True:
        with CaptureQueriesContext(connection) as ctx:
            page = selectors.ledger_search(viewer=sup, limit=1, cursor=cursor)
        # the scope's org-unit subtree is a subquery: one query for the page
        assert len(ctx.captured_queries) == 1
        seen += [e.pk for e in page.items]
        pages += 1
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert pages == 4 and len(set(seen)) == 4 and seen == sorted(seen, reverse=True)


def test_ledger_api(desk, ledger, api):
    sup, tk = desk["users"]["supervisor"], desk["tickets"]
    response = api(sup).get("/ledger?limit=2")
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["items"]) == 2 and body["next_cursor"]
    item = body["items"][0]
    assert item["clock"] == "handle" and item["clock_label"] == "Handling deadline" and item["level"] == 1
    detail = api(sup).get(f"/ledger/{item['id']}").json()
    assert detail["dossier"]["snapshot"]["ticket"]["number"] == item["ticket_number"]
    hidden = ledger[tk["city_b"].pk]
    assert api(desk["users"]["handler"]).get(f"/ledger/{hidden.pk}").status_code == 404
    assert api(sup).get("/ledger?cursor=nonsense").status_code == 422


def test_ledger_export_opens_in_excel_with_its_rows(desk, ledger, api):
    sup, tk = desk["users"]["supervisor"], desk["tickets"]
    response = api(sup, lang="en").get("/ledger.xlsx?department=billing")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    data = b"".join(response.streaming_content)
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("number", "title", "clock")
    assert sorted(r[0] for r in rows[1:]) == sorted(tk[k].number for k in ("assigned", "department", "county"))
    assert all(r[2] == "Handling deadline" and r[5] == 1 for r in rows[1:])
    zh = api(sup, lang="zh-hans").get("/ledger.xlsx")
    header = next(openpyxl.load_workbook(io.BytesIO(b"".join(zh.streaming_content))).active.iter_rows(values_only=True))
    assert header[0] != "number"  # the Chinese column names


def test_admin_pages_and_export_action(desk, ledger, client):
    root = User.objects.create_superuser(username="root", password="pw-for-tests-1", role="admin",
                                         org_unit=desk["org"]["province"])
    client.force_login(root)
    admin_client = client
    entry = next(iter(ledger.values()))
    for name in ("ticketclock", "ledgerentry", "casedossier", "calendar", "calendaryear",
                 "calendaroverride", "policy"):
        url = reverse(f"admin:sla_{name}_changelist")
        assert admin_client.get(url).status_code == 200, name
    assert admin_client.get(reverse("admin:sla_ticketclock_changelist") + "?calendar_missing__exact=1").status_code == 200
    assert admin_client.get(reverse("admin:sla_ledgerentry_change", args=[entry.pk])).status_code == 200
    assert admin_client.get(reverse("admin:sla_casedossier_change", args=[entry.dossier.pk])).status_code == 200
    assert admin_client.get(reverse("admin:sla_ledgerentry_add")).status_code == 403
    page = admin_client.get(reverse("admin:sla_calendaryear_changelist")).content.decode()
    assert "chinese-calendar" in page or "chinese_calendar" in page or "State Council" in page or "国务院" in page
    response = admin_client.post(reverse("admin:sla_ledgerentry_changelist"), {
        "action": "export_xlsx", "_selected_action": [e.pk for e in ledger.values()],
    })
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert len(rows) == 1 + len(ledger)


def test_admin_refuses_a_malformed_ladder_and_hours():
    from django import forms

    from complaintdesk.sla.admin import validate_hours, validate_ladder

    assert validate_ladder(LADDER) == LADDER
    for bad in ([{"after_minutes": -1, "notify": "supervisor"}], [{"after_minutes": 60, "notify": "boss"}],
                [{"after_minutes": 60, "notify": "leader"}, {"after_minutes": 30, "notify": "leader"}],
                {"after_minutes": 0}, "[not json"):
        with pytest.raises(forms.ValidationError):
            validate_ladder(bad)
    assert validate_hours([["08:30", "12:00"], ["13:30", "17:30"]])
    for bad in ([["12:00", "08:30"]], [["08:30", "12:00"], ["11:00", "13:00"]], [["8:30", "12:00"]], "x"):
        with pytest.raises(forms.ValidationError):
            validate_hours(bad)
