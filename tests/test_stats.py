"""Statistics (stats/): every figure of the roll-up checked against a count made straight from
the tickets, the KPI library's golden values (counted by hand), the statistics table (totals,
shares, comparisons, periods, tree levels, scope), the drill-down listing the same tickets,
the incremental refresh, control thresholds, the API and the page in both languages."""

import datetime as dt
import random
from collections import Counter, defaultdict
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaintdesk.accounts.models import User
from complaintdesk.notifications.models import Message
from complaintdesk.sla.calendar import working_minutes_between
from complaintdesk.sla.models import LedgerEntry, TicketClock
from complaintdesk.sla.services.calendars import calendar_for_unit
from complaintdesk.stats import kpis
from complaintdesk.stats.models import ControlThreshold, CustomerBase, DailyCount, ThresholdAlert
from complaintdesk.stats.selectors import (
    StatsQuery,
    bucket_of,
    kpi_board,
    report_month_of,
    report_month_range,
    rollup_sums,
    stats_table,
)
from complaintdesk.stats.services.rollup import rollup_rebuild, rollup_refresh
from complaintdesk.stats.services.thresholds import thresholds_check
from complaintdesk.stats.vocabulary import MEASURES
from complaintdesk.tickets.models import Ticket, TicketEvent
from complaintdesk.tickets.selectors import ticket_list

TZ = timezone.get_default_timezone()


def local(y, m, d, h=10, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


# -- the KPI library: golden values counted by hand ------------------------------------------

FIG = {"registered": 200, "closed": 160, "closed_on_time": 144, "acknowledged": 120, "acknowledged_in_time": 108,
       "called_back": 80, "satisfied": 68, "on_spot": 30, "repeat": 12, "over_the_head": 5, "breached": 25,
       "audit_rejected": 8, "redispatched": 14, "escalated": 6, "handled": 150, "handling_minutes": 27000,
       "calendar_missing": 10}


@pytest.mark.parametrize(("fn", "expected"), [
    (kpis.closed_on_time_rate, 0.9),  # 144 / 160
    (kpis.acknowledged_in_time_rate, 0.9),  # 108 / 120
    (kpis.satisfaction_rate, 0.85),  # 68 / 80
    (kpis.callback_rate, 0.5),  # 80 / 160
    (kpis.first_contact_resolution_rate, 0.15),  # 30 / 200
    (kpis.repeat_rate, 0.06),  # 12 / 200
    (kpis.over_the_head_rate, 0.025),  # 5 / 200
    (kpis.breach_rate, 0.125),  # 25 / 200
    (kpis.audit_rejection_rate, 0.04),  # 8 / 200
    (kpis.redispatch_rate, 0.07),  # 14 / 200
    (kpis.escalation_rate, 0.03),  # 6 / 200
    (kpis.average_handling_hours, 3.0),  # 27000 min / 60 = 450 h over 150 tickets
])
def test_kpi_golden_values(fn, expected):
    assert fn(FIG).value == pytest.approx(expected)


def test_kpi_without_a_denominator_is_none_not_zero():
    for k in kpis.KPIS:
        v = k.compute({})
        assert v.value is None, k.code
        assert k.formula and k.label


def test_handling_time_says_what_it_left_out():
    v = kpis.average_handling_hours(FIG)
    assert "10" in v.note


@pytest.mark.parametrize(("kind", "count", "base", "expected"), [
    ("customers", 30, 120_000, 2.5),  # 万投比: 30 / 120,000 × 10⁴
    ("users", 45, 9_000_000, 5.0),  # MIIT: 45 / 9 m × 10⁶
    ("parcels", 12, 4_000_000, 3.0),  # post: 12 / 4 m × 10⁶
    ("premium", 18, 600_000_000, 3.0),  # NFRA: 18 / CNY 600 m × 10⁸
    ("policies", 7, 35_000, 2.0),  # NFRA: 7 / 35,000 × 10⁴
    ("insured", 9, 60_000, 1.5),  # NFRA: 9 / 60,000 × 10⁴
])
def test_normalised_rates_golden(kind, count, base, expected):
    assert kpis.per_base(count, base, kind).value == pytest.approx(expected)
    assert kpis.per_base(count, None, kind).value is None


def test_threshold_directions():
    assert kpis.crossed(0.12, 0.1, "above") and not kpis.crossed(0.08, 0.1, "above")
    assert kpis.crossed(80, 90, "below") and not kpis.crossed(95, 90, "below")
    assert not kpis.crossed(None, 90, "below")


def test_report_months():
    assert report_month_of(dt.date(2026, 1, 26)) == dt.date(2026, 2, 1)
    assert report_month_of(dt.date(2026, 2, 25)) == dt.date(2026, 2, 1)
    assert report_month_of(dt.date(2026, 12, 26)) == dt.date(2027, 1, 1)
    assert report_month_range(dt.date(2026, 3, 1)) == (dt.date(2026, 2, 26), dt.date(2026, 3, 25))
    assert report_month_range(dt.date(2026, 1, 1)) == (dt.date(2025, 12, 26), dt.date(2026, 1, 25))
    assert bucket_of(dt.date(2026, 3, 26), "report_month") == "2026-04R"
    assert bucket_of(dt.date(2026, 1, 1), "week") == "2026-W01"


# -- a varied data set, and the straight count -----------------------------------------------

CATS = [("complaint", "billing-overcharge"), ("complaint", "network-weak"), ("complaint", "billing-overcharge"),
        ("inquiry", "inquiry-tariff")]
UNITS = ["p", "p-a", "p-a-1", "p-b"]
CHANNELS = ["hotline", "counter", "web_portal", "email"]


def _elements(code):
    if code == "billing-overcharge":
        return {"account_phone": "13800138000", "month": "2026-10-01", "amount": "58"}
    return {}


@pytest.fixture
def varied(org, users, make_ticket):
    """40 tickets over two report months and the year before, in every state, with events,
    missed deadlines, ledger entries and callbacks, chosen at random (fixed seed)."""
    rng = random.Random(11)
    actor = users["supervisor"]
    depts = [None, org["billing"], org["network"], org["sales"]]
    days = [local(2026, 2, 20), local(2026, 2, 25, 23, 59), local(2026, 2, 26, 0, 0), local(2026, 3, 10),
            local(2026, 3, 25, 12), local(2025, 3, 5), local(2025, 2, 27)]
    made = []
    for i in range(40):
        kind, cat = CATS[i % len(CATS)]
        t = make_ticket(kind=kind, category=cat, channel=CHANNELS[i % 4], org_unit=UNITS[(i // 2) % 4],
                        elements=_elements(cat), phone=f"1380013{8000 + i:04d}")
        created = rng.choice(days) + dt.timedelta(minutes=rng.randint(0, 30))
        state = rng.choice(["registered", "dispatched", "in_progress", "awaiting_callback", "closed", "closed",
                            "archived"])
        closed = state in ("closed", "archived")
        fields = dict(
            created_at=created, state=state, lead_department=rng.choice(depts),
            responsible_department=rng.choice(depts) if closed else None,
            cause=rng.choice(["", "service", "network", "sales"]) if closed else "",
            severity=rng.choice(["simple", "general", "complex", "major"]),
            source_tier=rng.choice(["direct", "direct", "12315", "12300"]),
            resolution=rng.choice(["on_spot", "resolved", "invalid"]) if closed else "",
            closed_at=created + dt.timedelta(hours=rng.randint(1, 90)) if closed else None,
            over_the_head=rng.random() < 0.2, reopen_count=rng.choice([0, 0, 1]),
        )
        if made and rng.random() < 0.25:
            fields["repeat_of"] = made[0]
        Ticket.objects.filter(pk=t.pk).update(**fields)
        t.refresh_from_db()
        for typ, n in (("acknowledged", rng.choice([0, 1])), ("dispatched", rng.choice([0, 1, 2])),
                       ("transferred", rng.choice([0, 0, 1])), ("audit_rejected", rng.choice([0, 0, 1]))):
            for _ in range(n):
                TicketEvent.objects.create(ticket=t, type=typ, actor=actor, created_at=created, payload={})
        outcome = ""
        for outcome in rng.sample(["satisfied", "neutral", "dissatisfied"], rng.choice([0, 0, 1, 2])):
            TicketEvent.objects.create(ticket=t, type="called_back", actor=actor, created_at=created,
                                       payload={"satisfaction": outcome, "note": ""})
        # The ticket keeps the last outcome, unless the case was reopened since (wiped).
        Ticket.objects.filter(pk=t.pk).update(satisfaction="" if t.reopen_count else outcome)
        r = rng.random()
        if r < 0.2:
            TicketClock.objects.create(ticket=t, clock="acknowledge", state="missed", started_at=created)
        elif r < 0.35:
            clock = TicketClock.objects.create(ticket=t, clock="handle", state="running", started_at=created,
                                               due_at=created, breached_at=created + dt.timedelta(hours=1))
            if rng.random() < 0.6:
                LedgerEntry.objects.create(ticket=t, clock=clock, reason="breach", opened_at=created,
                                           summary="x", org_unit=t.org_unit)
        made.append(t)
    # One closed ticket whose handling crosses a year with no working calendar (2003: before
    # the official calendar's first year, none entered): its time is unknown, and said so.
    old = make_ticket(kind="inquiry", category="inquiry-tariff", org_unit="p-b", phone="13900139000", elements={})
    Ticket.objects.filter(pk=old.pk).update(created_at=local(2003, 6, 2), state="closed",
                                            closed_at=local(2003, 6, 4))
    return made


def _straight(tickets_qs):
    """Per ticket, its measures and dimensions, counted from the tickets, their events, clocks
    and ledger entries (not through the roll-up's code)."""
    rows = []
    events = defaultdict(Counter)
    last_cb = {}
    for e in TicketEvent.objects.order_by("id"):
        events[e.ticket_id][e.type] += 1
        if e.type == "called_back":
            last_cb[e.ticket_id] = e.payload.get("satisfaction", "")
    missed = defaultdict(set)
    for c in TicketClock.objects.all():
        if c.breached_at is not None or c.state == "missed":
            missed[c.ticket_id].add(c.clock)
    ledger = set(LedgerEntry.objects.filter(reason="breach").values_list("ticket_id", flat=True))
    for t in tickets_qs:
        closed = t.state in ("closed", "archived")
        ev = events[t.pk]
        m = dict.fromkeys(MEASURES, 0)
        m["registered"] = 1
        m["closed"] = int(closed)
        m["breached"] = int(bool(missed[t.pk]))
        m["closed_on_time"] = int(closed and not missed[t.pk])
        m["acknowledged"] = int(ev["acknowledged"] > 0)
        m["acknowledged_in_time"] = int(ev["acknowledged"] > 0 and "acknowledge" not in missed[t.pk])
        cb = last_cb.get(t.pk, "")
        m["called_back"] = int(bool(cb))
        m["satisfied"] = int(cb == "satisfied")
        m["dissatisfied"] = int(cb == "dissatisfied")
        m["on_spot"] = int(t.resolution == "on_spot")
        m["repeat"] = int(t.repeat_of_id is not None)
        m["over_the_head"] = int(t.over_the_head)
        m["audit_rejected"] = int(ev["audit_rejected"] > 0)
        m["redispatched"] = int(ev["dispatched"] + ev["transferred"] >= 2)
        m["escalated"] = int(t.pk in ledger)
        m["reopened"] = int(t.reopen_count > 0)
        if closed:
            w = working_minutes_between(calendar_for_unit(t.org_unit_id).calendar, t.created_at, t.closed_at)
            if w.calendar_missing:
                m["calendar_missing"] = 1
            else:
                m["handled"], m["handling_minutes"] = 1, round(w.minutes)
        dims = {"day": timezone.localtime(t.created_at, TZ).date(), "kind": t.kind, "category_id": t.category_id,
                "cause": t.cause, "responsible_department_id": t.responsible_department_id,
                "lead_department_id": t.lead_department_id, "org_unit_id": t.org_unit_id, "channel": t.channel,
                "source_tier": t.source_tier, "severity": t.severity, "state": t.state,
                "satisfaction": t.satisfaction}
        rows.append((dims, m))
    return rows


DIMS = ["day", "kind", "category_id", "cause", "responsible_department_id", "lead_department_id", "org_unit_id",
        "channel", "source_tier", "severity", "state", "satisfaction"]


def test_every_figure_matches_a_straight_count(varied, users):
    rollup_rebuild()
    straight = _straight(Ticket.objects.all())
    assert DailyCount.objects.exists()
    start, end = dt.date(2000, 1, 1), dt.date(2030, 12, 31)
    for dim in DIMS:
        expected = defaultdict(Counter)
        for dims, m in straight:
            expected[dims[dim]].update(m)
        got = {r[dim]: {k: r[k] for k in MEASURES}
               for r in rollup_sums(viewer=users["admin"], date_from=start, date_to=end, group_by=[dim])}
        assert set(got) == set(expected), dim
        for value, m in expected.items():
            assert got[value] == {k: m.get(k, 0) for k in MEASURES}, (dim, value)
    totals = rollup_sums(viewer=users["admin"], date_from=start, date_to=end)[0]
    assert totals["registered"] == Ticket.objects.count() == 41
    assert totals["calendar_missing"] >= 1  # the ticket of 2003


def test_refresh_counts_again_only_what_changed_and_twice_is_the_same(varied, users):
    rollup_rebuild()
    before = sorted(DailyCount.objects.values_list("day", "kind", "state", "registered"))
    again = rollup_refresh(now=timezone.now() + dt.timedelta(minutes=5))
    assert again.days == 0  # nothing new (the events were all read by the rebuild)
    assert sorted(DailyCount.objects.values_list("day", "kind", "state", "registered")) == before
    # A step of the one writer appends an event: the ticket's day is counted again.
    t = varied[3]
    Ticket.objects.filter(pk=t.pk).update(state="closed", closed_at=t.created_at + dt.timedelta(hours=2))
    TicketEvent.objects.create(ticket=t, type="closed", created_at=timezone.now() - dt.timedelta(minutes=10),
                               payload={})
    r = rollup_refresh(now=timezone.now() + dt.timedelta(minutes=5))
    assert r.days == 1
    start, end = dt.date(2000, 1, 1), dt.date(2030, 12, 31)
    closed = rollup_sums(viewer=users["admin"], date_from=start, date_to=end)[0]["closed"]
    assert closed == Ticket.objects.filter(state__in=["closed", "archived"]).count()
    # A deadline breach (the scan writes no event) is found too.
    u = varied[5]
    TicketClock.objects.create(ticket=u, clock="reply", cycle=7, state="running", started_at=u.created_at,
                               breached_at=timezone.now())
    rollup_refresh(now=timezone.now() + dt.timedelta(seconds=30))
    by_ticket_day = timezone.localtime(u.created_at, TZ).date()
    breached = rollup_sums(viewer=users["admin"], date_from=by_ticket_day, date_to=by_ticket_day)[0]["breached"]
    assert breached == sum(m["breached"] for dims, m in _straight(Ticket.objects.all()) if dims["day"] == by_ticket_day)


def test_first_refresh_builds_everything(varied, users):
    r = rollup_refresh()
    assert r.rows > 0
    assert rollup_sums(viewer=users["admin"], date_from=dt.date(2000, 1, 1),
                       date_to=dt.date(2030, 1, 1))[0]["registered"] == 41


# -- the statistics table ----------------------------------------------------------------------

def test_table_two_dimensions_totals_shares_and_comparisons(varied, users):
    rollup_rebuild()
    q = StatsQuery(rows="org_unit", cols="channel", date_from=dt.date(2026, 2, 26), date_to=dt.date(2026, 3, 25),
                   org_unit_level=1)
    table = stats_table(viewer=users["admin"], query=q)
    in_range = Ticket.objects.filter(created_at__gte=local(2026, 2, 26, 0), created_at__lt=local(2026, 3, 26, 0))
    assert table.total == in_range.count()
    # Org units at level 1: everything rolls up into the province.
    assert [r.header.label for r in table.rows] == ["江南省"]
    for c, total in zip(table.cols, table.col_totals, strict=True):
        assert total == in_range.filter(channel=c.key).count()
    assert table.rows[0].share == 1.0
    prev = Ticket.objects.filter(created_at__gte=local(2026, 1, 26, 0), created_at__lt=local(2026, 2, 26, 0)).count()
    assert table.previous_total == prev
    year = Ticket.objects.filter(created_at__gte=local(2025, 2, 26, 0), created_at__lt=local(2025, 3, 26, 0)).count()
    assert table.year_ago_total == year
    assert table.change == (pytest.approx((table.total - prev) / prev) if prev else None)

    # One level down: the cities and the province's own tickets.
    q2 = StatsQuery(rows="org_unit", cols="kind", date_from=dt.date(2026, 2, 26), date_to=dt.date(2026, 3, 25))
    t2 = stats_table(viewer=users["admin"], query=q2)
    labels = {r.header.label: r.total for r in t2.rows}
    assert labels["甲市"] == in_range.filter(org_unit__code__in=["p-a", "p-a-1"]).count()
    assert labels["乙市"] == in_range.filter(org_unit__code="p-b").count()
    assert sum(r.share for r in t2.rows) == pytest.approx(1.0)


def test_category_level_and_report_month_periods(varied, users):
    rollup_rebuild()
    q = StatsQuery(rows="period", cols="category", period="report_month", date_from=dt.date(2026, 2, 1),
                   date_to=dt.date(2026, 3, 20), category_level=1)
    table = stats_table(viewer=users["admin"], query=q)
    assert table.date_from == dt.date(2026, 1, 26) and table.date_to == dt.date(2026, 3, 25)
    assert [r.header.key for r in table.rows] == ["2026-02R", "2026-03R"]
    feb = Ticket.objects.filter(created_at__gte=local(2026, 1, 26, 0), created_at__lt=local(2026, 2, 26, 0))
    assert table.rows[0].total == feb.count()
    cols = {c.key: i for i, c in enumerate(table.cols)}
    billing_key = next(k for k, i in cols.items() if table.cols[i].label == "计费账务")
    assert table.rows[0].cells[cols[billing_key]] == feb.filter(category__code__startswith="billing").count()
    # period on period for period rows: against the row before; year on year: the same report month.
    assert table.rows[1].previous == table.rows[0].total
    year = Ticket.objects.filter(created_at__gte=local(2025, 2, 26, 0), created_at__lt=local(2025, 3, 26, 0)).count()
    assert table.rows[1].year_ago == year


def test_empty_period_says_so(varied, users, client):
    rollup_rebuild()
    table = stats_table(viewer=users["admin"], query=StatsQuery(rows="kind", date_from=dt.date(2020, 1, 1),
                                                                 date_to=dt.date(2020, 1, 31)))
    assert table.total == 0 and table.rows == []
    client.force_login(users["admin"])
    page = client.get("/statistics/?rows=kind&date_from=2020-01-01&date_to=2020-01-31",
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No tickets in this period." in page


def test_calendar_missing_is_said(varied, users, client):
    rollup_rebuild()
    client.force_login(users["admin"])
    page = client.get("/statistics/?rows=kind&date_from=2003-06-01&date_to=2003-06-30",
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "crosses a year with no working calendar entered" in page
    board = kpi_board(viewer=users["admin"], date_from=dt.date(2003, 6, 1), date_to=dt.date(2003, 6, 30))
    aht = next(f for f in board.figures if f.code == "average_handling_hours")
    assert aht.value.value is None and "1" in aht.value.note


def test_scope_city_supervisor_and_department_head(varied, org, users):
    rollup_rebuild()
    city = User.objects.create_user(username="sup-a", password="pw-for-tests-1", role="supervisor",
                                    org_unit=org["city_a"], display_name="sup-a")
    q = StatsQuery(rows="kind", date_from=dt.date(2024, 1, 1), date_to=dt.date(2026, 12, 31))
    since = Ticket.objects.filter(created_at__gte=local(2024, 1, 1, 0))
    assert stats_table(viewer=city, query=q).total == since.filter(org_unit__code__in=["p-a", "p-a-1"]).count()
    head = users["dept_head"]  # billing
    assert stats_table(viewer=head, query=q).total == since.filter(lead_department=org["billing"]).count()
    from complaintdesk.core.errors import Forbidden, ValidationFailed
    with pytest.raises(Forbidden):
        stats_table(viewer=users["handler"], query=q)
    with pytest.raises(ValidationFailed) as e:
        stats_table(viewer=city, query=StatsQuery(rows="kind", org_unit="p-b"))
    assert e.value.fields[0].field == "org_unit"


@pytest.mark.parametrize(("rows", "cols"), [("category", "channel"), ("severity", "state"), ("cause", "satisfaction"),
                                            ("lead_department", "source_tier"), ("responsible_department", "kind"),
                                            ("period", "org_unit")])
def test_drill_down_lists_the_same_tickets(varied, users, rows, cols):
    rollup_rebuild()
    viewer = users["admin"]
    q = StatsQuery(rows=rows, cols=cols, date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 3, 31), period="week")
    table = stats_table(viewer=viewer, query=q)
    from complaintdesk.stats.links import table_links
    from complaintdesk.workbench.views.worklists import WorklistFilterForm, _filters
    table_links(table, viewer)
    checked = 0
    for r in table.rows:
        for (n, url), col in zip(r.pairs, table.cols, strict=True):
            if not n:
                continue
            if any(h.key and not h.filters for h in (r.header, col)):  # a unit's own tickets: not linked
                assert url is None
                continue
            assert url, (r.header.label, n)
            params = parse_qs(urlparse(url).query)
            form = WorklistFilterForm({k: v if k == "state" else v[0] for k, v in params.items()})
            assert form.is_valid(), form.errors
            listed = ticket_list(viewer=viewer, filters=_filters(form.cleaned_data), limit=500).items
            assert len(listed) == n, (url, n)
            checked += 1
    assert checked >= 3


def test_bad_dimension_names_the_field(users, db):
    from complaintdesk.core.errors import ValidationFailed
    with pytest.raises(ValidationFailed) as e:
        stats_table(viewer=users["admin"], query=StatsQuery(rows="colour"))
    assert e.value.fields[0].field == "rows"
    with pytest.raises(ValidationFailed) as e:
        stats_table(viewer=users["admin"], query=StatsQuery(rows="kind", cols="kind"))
    assert e.value.fields[0].field == "cols"


def test_table_query_count_is_fixed(org, users, make_ticket, varied):
    rollup_rebuild()
    q = StatsQuery(rows="category", cols="lead_department")

    def count():
        with CaptureQueriesContext(connection) as c:
            stats_table(viewer=users["supervisor"], query=q)
        return len(c)

    first = count()
    for i in range(10):
        make_ticket(phone=f"1370013{7000 + i:04d}")
    rollup_refresh(now=timezone.now() + dt.timedelta(minutes=5))
    assert count() == first <= 7


# -- KPIs, bases and thresholds ----------------------------------------------------------------

def test_kpi_board_and_thresholds_notify_once(varied, org, users):
    rollup_rebuild()
    province = org["province"]
    today = dt.date(2026, 3, 20)
    first, last = report_month_range(dt.date(2026, 3, 1))
    CustomerBase.objects.create(org_unit=province, month=dt.date(2026, 3, 1), kind="customers", value=20000)
    ControlThreshold.objects.create(org_unit=province, kpi="closed_on_time_rate", threshold=101, direction="below")
    ControlThreshold.objects.create(org_unit=province, kpi="repeat_rate", threshold=100, direction="above")
    board = kpi_board(viewer=users["leader"], date_from=first, date_to=last)
    fig = {f.code: f for f in board.figures}
    assert fig["closed_on_time_rate"].crossed and not fig["repeat_rate"].crossed
    in_month = [m for dims, m in _straight(Ticket.objects.all()) if first <= dims["day"] <= last]
    closed = sum(m["closed"] for m in in_month)
    assert fig["closed_on_time_rate"].value.denominator == closed
    complaints = Ticket.objects.filter(kind="complaint", created_at__gte=local(2026, 2, 26, 0),
                                       created_at__lt=local(2026, 3, 26, 0)).count()
    per = next(r for r in board.rates if r.code == "per_customers")
    assert per.value.value == pytest.approx(complaints / 20000 * 10000)

    assert thresholds_check(today=today) == (1 if closed else 0)
    assert thresholds_check(today=today) == 0  # told once per month
    if closed:
        assert ThresholdAlert.objects.count() == 1
        assert Message.objects.filter(template="kpi_threshold_crossed", recipient_user=users["leader"]).count() == 1


# -- the API and the page ----------------------------------------------------------------------

def test_api_stats(varied, users, api):
    rollup_rebuild()
    r = api(users["admin"]).get("/stats?rows=kind&cols=channel&from=2026-02-01&to=2026-03-31")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["total"] == Ticket.objects.filter(created_at__gte=local(2026, 2, 1, 0),
                                                  created_at__lt=local(2026, 4, 1, 0)).count()
    assert sum(body["column_totals"]) == body["total"] == sum(row["total"] for row in body["rows"])
    assert body["as_of"] and body["rows"][0]["cell_urls"]
    bad = api(users["admin"], lang="zh-hans").get("/stats?rows=colour")
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "rows"
    assert api(users["handler"]).get("/stats?rows=kind").status_code == 403
    k = api(users["admin"]).get("/stats/kpis?from=2026-02-01&to=2026-03-31")
    assert k.status_code == 200 and {x["code"] for x in k.json()["kpis"]} >= {"satisfaction_rate", "repeat_rate"}
    assert all(x["formula"] for x in k.json()["kpis"])


@pytest.mark.parametrize(("lang", "words"), [("en", ["Statistics", "Period on period", "Formula"]),
                                             ("zh-hans", ["统计", "环比", "公式"])])
def test_page_both_languages(varied, users, client, lang, words):
    rollup_rebuild()
    client.force_login(users["supervisor"])
    r = client.get("/statistics/?rows=category&cols=channel&date_from=2026-02-01&date_to=2026-03-31",
                   HTTP_ACCEPT_LANGUAGE=lang)
    assert r.status_code == 200
    page = r.content.decode()
    for w in words:
        assert w in page
    assert "/work/all/?" in page and 'id="stats-data"' in page


def test_page_refuses_other_roles_and_post(users, client, db):
    client.force_login(users["handler"])
    assert client.get("/statistics/").status_code == 403
    client.force_login(users["supervisor"])
    assert client.post("/statistics/").status_code == 405


def test_page_query_count_is_fixed(varied, users, client, make_ticket):
    rollup_rebuild()
    client.force_login(users["supervisor"])
    url = "/statistics/?rows=category&cols=org_unit&date_from=2025-01-01&date_to=2026-12-31"

    def count():
        with CaptureQueriesContext(connection) as c:
            assert client.get(url).status_code == 200
        return len(c)

    small = count()
    for i in range(8):
        make_ticket(phone=f"1360013{6000 + i:04d}", org_unit=UNITS[i % 4])
    rollup_refresh(now=timezone.now() + dt.timedelta(minutes=5))
    assert count() == small
