"""The dashboard (reports:dashboard): figures checked by hand against a small known data set,
scope (a city supervisor sees only the city's tickets), roles, both languages, a fixed number
of queries at two data sizes, GET only."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaintdesk.accounts.models import User
from complaintdesk.reports.selectors import DashboardFilters, dashboard_get, local_today
from complaintdesk.stats.services.rollup import rollup_rebuild
from complaintdesk.tickets.models import Assignment, Ticket, TicketEvent

URL = "/dashboard/"
TZ = timezone.get_default_timezone()


@pytest.fixture(autouse=True)
def _no_dashboard_cache(settings):
    # Figures fresh on every request (the cache has its own test below).
    settings.REPORTS_DASHBOARD_CACHE_SECONDS = 0


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=TZ)


def _ticket(make_ticket, users, *, unit, channel, kind, created_at, state, dept=None, sla="ok"):
    category = {"complaint": "billing-overcharge", "inquiry": "inquiry-tariff"}[kind]
    elements = ({"account_phone": "13800138000", "month": "2026-10-01", "amount": "58"}
                if kind == "complaint" else {})
    t = make_ticket(kind=kind, category=category, channel=channel, org_unit=unit, elements=elements)
    Ticket.objects.filter(pk=t.pk).update(created_at=created_at, state=state, lead_department=dept,
                                          sla_status=sla)
    if dept is not None:
        # Department roles see what is dispatched to them: through the assignments.
        Assignment.objects.create(ticket_id=t.pk, department=dept, role="lead", active=True,
                                  dispatched_at=created_at, dispatched_by=users["dispatcher"])
    return t


def _callback(ticket, outcome, at, actor):
    TicketEvent.objects.create(ticket_id=ticket.pk, type="called_back", actor=actor, created_at=at,
                               from_state="awaiting_callback", to_state="closed",
                               payload={"satisfaction": outcome, "note": ""})


@pytest.fixture
def known(org, users, make_ticket):
    """Six tickets and five callbacks; the expected figures are counted by hand in the tests."""
    now = timezone.now()
    today = local_today(now)
    start = day_start(today)
    billing, network = org["billing"], org["network"]
    mk = lambda **kw: _ticket(make_ticket, users, **kw)  # noqa: E731
    t = {
        # registered at the first instant of today (local time): counts as today
        "t1": mk(unit="p-a", channel="hotline", kind="complaint", created_at=start, state="registered"),
        "t2": mk(unit="p-a-1", channel="counter", kind="complaint", created_at=start + dt.timedelta(minutes=1),
                 state="in_progress", dept=billing, sla="overdue"),
        "t3": mk(unit="p-b", channel="web_portal", kind="inquiry", created_at=start + dt.timedelta(minutes=2),
                 state="dispatched", dept=network, sla="at_risk"),
        "t4": mk(unit="p-a", channel="hotline", kind="complaint", created_at=now - dt.timedelta(days=3),
                 state="in_progress", dept=billing, sla="at_risk"),
        "t5": mk(unit="p-b", channel="hotline", kind="complaint", created_at=now - dt.timedelta(days=40),
                 state="closed"),
        # one minute before today began: yesterday's
        "t6": mk(unit="p-a", channel="email", kind="complaint", created_at=start - dt.timedelta(minutes=1),
                 state="awaiting_callback"),
    }
    actor = users["supervisor"]
    _callback(t["t4"], "satisfied", now - dt.timedelta(days=2), actor)
    _callback(t["t5"], "dissatisfied", now - dt.timedelta(days=35), actor)  # before the 30 days
    _callback(t["t5"], "satisfied", now - dt.timedelta(days=5), actor)
    _callback(t["t3"], "neutral", now, actor)
    _callback(t["t6"], "dissatisfied", now - dt.timedelta(days=1), actor)
    TicketEvent.objects.create(ticket_id=t["t6"].pk, type="replied", actor=actor, created_at=now, payload={})
    # A scoped viewer's intake figures come from the statistics roll-up (the minute job).
    rollup_rebuild()
    return {"tickets": t, "today": today, "now": now}


@pytest.fixture
def city_supervisor(org):
    return User.objects.create_user(username="sup-a", password="pw-for-tests-1", role="supervisor",
                                    org_unit=org["city_a"], display_name="sup-a")


def by(rows, attr="value"):
    return {getattr(r, attr): r.count for r in rows}


def test_figures_match_the_hand_count(known, users):
    board = dashboard_get(viewer=users["supervisor"], now=known["now"])
    assert board.intake_today == 3
    assert {k: v for k, v in by(board.intake_today_by_channel).items() if v} == {
        "hotline": 1, "counter": 1, "web_portal": 1}
    assert {k: v for k, v in by(board.intake_today_by_kind).items() if v} == {"complaint": 2, "inquiry": 1}
    assert board.open_total == 5
    assert {k: v for k, v in by(board.open_by_state).items() if v} == {
        "registered": 1, "dispatched": 1, "in_progress": 2, "awaiting_callback": 1}
    assert "closed" not in by(board.open_by_state)
    depts = {r.code or None: (r.open, r.at_risk, r.overdue) for r in board.open_by_department}
    assert depts == {"billing": (2, 1, 1), "network": (1, 1, 0), None: (2, 0, 0)}
    assert (board.at_risk_total, board.overdue_total) == (2, 1)
    assert board.callbacks == 4
    assert by(board.satisfaction) == {"satisfied": 2, "neutral": 1, "dissatisfied": 1}
    assert {r.value: r.share for r in board.satisfaction} == {"satisfied": 0.5, "neutral": 0.25,
                                                              "dissatisfied": 0.25}
    today = known["today"]
    trend = by(board.trend)
    assert len(trend) == 30 and board.trend[-1].value == today.isoformat()
    assert trend[today.isoformat()] == 3
    assert trend[(today - dt.timedelta(days=1)).isoformat()] == 1
    assert trend[(today - dt.timedelta(days=3)).isoformat()] == 1
    assert board.intake_in_period == 5


def test_city_supervisor_sees_only_the_city(known, city_supervisor):
    board = dashboard_get(viewer=city_supervisor, now=known["now"])
    assert board.intake_today == 2  # t1, t2 (county of city A); not t3 of city B
    assert board.open_total == 4
    assert (board.at_risk_total, board.overdue_total) == (1, 1)
    assert by(board.satisfaction) == {"satisfied": 1, "neutral": 0, "dissatisfied": 1}
    assert board.intake_in_period == 4
    assert {u.code for u in board.org_units} == {"p-a", "p-a-1"}
    # Narrowing to a unit outside the scope is refused, not widened.
    with pytest.raises(Exception) as exc:
        dashboard_get(viewer=city_supervisor, filters=DashboardFilters(org_unit="p-b"))
    assert getattr(exc.value, "fields", None) and exc.value.fields[0].field == "org_unit"


def test_department_head_sees_the_department(known, users):
    board = dashboard_get(viewer=users["dept_head"], now=known["now"])
    assert board.open_total == 2  # t2 and t4, held by billing
    assert [(r.code, r.open) for r in board.open_by_department] == [("billing", 2)]
    assert by(board.satisfaction)["satisfied"] == 1  # t4


def test_org_unit_and_period_filters(known, users):
    sup = users["supervisor"]
    board = dashboard_get(viewer=sup, filters=DashboardFilters(org_unit="p-b"), now=known["now"])
    assert (board.intake_today, board.open_total, board.at_risk_total) == (1, 1, 1)
    assert by(board.satisfaction) == {"satisfied": 1, "neutral": 1, "dissatisfied": 0}
    today = known["today"]
    board = dashboard_get(viewer=sup, now=known["now"], filters=DashboardFilters(
        date_from=today - dt.timedelta(days=40), date_to=today - dt.timedelta(days=30)))
    assert len(board.trend) == 11
    assert board.intake_in_period == 1  # t5
    assert by(board.satisfaction) == {"satisfied": 0, "neutral": 0, "dissatisfied": 1}
    # Open and today's figures are "now", whatever the period.
    assert (board.intake_today, board.open_total) == (3, 5)


@pytest.mark.parametrize("role", ["supervisor", "leader", "dept_head", "admin"])
def test_allowed_roles_get_the_page(client, users, known, role):
    client.force_login(users[role])
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["nav_active"] == "dashboard"


@pytest.mark.parametrize("role", ["intake_agent", "dispatcher", "handler"])
def test_other_roles_are_refused(client, users, role):
    client.force_login(users[role])
    assert client.get(URL).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:login"))


def test_get_only(client, users, known):
    client.force_login(users["supervisor"])
    assert client.post(URL, {}).status_code == 405
    assert client.put(URL).status_code == 405


def test_url_name_and_nav_link(users, db):
    from complaintdesk.web.navigation import nav_items

    assert reverse("reports:dashboard") == URL
    assert "dashboard" in {i["key"] for i in nav_items(users["leader"])}


def test_page_shows_tables_and_chart_data(client, users, known):
    client.force_login(users["supervisor"])
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "<table" in html and "<caption>" in html
    assert 'id="dashboard-data"' in html  # json_script for the charts
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "reports/dashboard.js" in html
    # nothing from outside the app
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    data = response.context["chart_data"]
    assert sum(data["states"]["values"]) == 5
    assert data["satisfaction"]["values"] == [2, 1, 1]
    assert sum(data["trend"]["values"]) == 5
    assert sum(sum(s["values"]) for s in data["departments"]["series"]) == 5


def test_both_languages(client, users, known):
    client.force_login(users["supervisor"])
    en = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Open tickets by department" in en and "Satisfied" in en and "Hotline" in en
    zh = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "统计看板" in zh and "满意" in zh and "热线" in zh
    assert "Open tickets by department" not in zh
    assert "未派单" in zh  # the tickets no department holds yet


def test_bad_filters_name_the_field_and_keep_the_values(client, users, known):
    client.force_login(users["supervisor"])
    response = client.get(URL, {"date_from": "2026-05-10", "date_to": "2026-05-01", "org_unit": "p-b"},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "The end date must not be before the start date." in html
    assert 'value="2026-05-10"' in html and 'value="2026-05-01"' in html
    assert '<option value="p-b" selected>' in html
    response = client.get(URL, {"date_from": "not a date"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Enter a valid date." in response.content.decode()
    assert 'value="not a date"' in response.content.decode()
    response = client.get(URL, {"org_unit": "nowhere"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Choose an org unit from the list." in response.content.decode()


def _more(org, users, make_ticket, n):
    """n more tickets spread over channels, kinds, states, departments and callbacks."""
    now = timezone.now()
    channels = ["hotline", "counter", "letter", "email", "app", "media"]
    states = ["registered", "awaiting_dispatch", "dispatched", "in_progress", "awaiting_audit", "closed"]
    depts = [None, org["billing"], org["network"], org["sales"]]
    for i in range(n):
        t = _ticket(make_ticket, users, unit=["p-a", "p-b", "p-a-1"][i % 3], channel=channels[i % 6],
                    kind="complaint" if i % 2 else "inquiry", created_at=now - dt.timedelta(days=i % 20),
                    state=states[i % 6], dept=depts[i % 4], sla=["ok", "at_risk", "overdue"][i % 3])
        _callback(t, ["satisfied", "neutral", "dissatisfied"][i % 3], now - dt.timedelta(days=i % 10),
                  users["supervisor"])


def _queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", ["supervisor", "dept_head", "admin"])
def test_fixed_number_of_queries(client, org, users, known, make_ticket, django_assert_max_num_queries, role):
    client.force_login(users[role])
    small = _queries(client)
    _more(org, users, make_ticket, 24)
    with django_assert_max_num_queries(small):
        large = _queries(client)
    assert large == small
    # session, user, the viewer's org unit, unit choices, departments, four aggregates
    assert small <= 10


def test_selector_query_count_is_fixed(org, users, known, make_ticket, django_assert_num_queries):
    viewer = User.objects.select_related("org_unit").get(pk=users["supervisor"].pk)
    # unit choices, today's intake, open, departments, callbacks, trend
    with django_assert_num_queries(6):
        dashboard_get(viewer=viewer)
    _more(org, users, make_ticket, 12)
    # One unit: the intake from the roll-up, plus its as-of time.
    with django_assert_num_queries(7):
        dashboard_get(viewer=viewer, filters=DashboardFilters(org_unit="p-a"))


def test_figures_link_to_the_worklists(client, users, known):
    from django.urls import NoReverseMatch

    try:
        every = reverse("workbench:worklist", kwargs={"key": "all"})
        overdue = reverse("workbench:worklist", kwargs={"key": "overdue"})
    except NoReverseMatch:
        pytest.skip("the worklists are not installed")
    client.force_login(users["supervisor"])
    html = client.get(URL, {"org_unit": "p-a"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{every}?state=in_progress&amp;org_unit=p-a"' in html
    assert f'href="{overdue}?org_unit=p-a"' in html
    today = known["today"].isoformat()
    assert f'href="{every}?channel=hotline&amp;date_from={today}&amp;date_to={today}&amp;org_unit=p-a"' in html


def test_computed_dashboard_is_reused_for_a_minute(client, org, users, known, make_ticket, settings):
    from django.core.cache import cache

    settings.REPORTS_DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    client.force_login(users["supervisor"])
    first = _queries(client)
    _more(org, users, make_ticket, 3)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    # Only the session and the user: the figures come from the cache, as of the first request.
    assert len(ctx.captured_queries) == 2 < first
    assert response.context["board"].open_total == 5
    assert "Figures as of" in response.content.decode()
    # Another language, another viewer or other filters: computed afresh.
    zh = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.context["board"].open_total > 5
    client.force_login(users["leader"])
    assert client.get(URL, HTTP_ACCEPT_LANGUAGE="en").context["board"].open_total > 5
    cache.clear()
