"""Idle timeout of staff sessions (docs/security.md §2): no request for SESSION_IDLE_TIMEOUT
(30 minutes by default) and the next request finds the session signed out; time is moved on
with time-machine."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

PAGE = "/work/"


@pytest.fixture
def clock():
    start = dt.datetime(2026, 12, 4, 9, 0, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_thirty_minutes_without_a_request_sign_the_session_out(client, users, clock):
    client.force_login(users["dispatcher"])
    assert client.get(PAGE).status_code == 200
    clock.shift(dt.timedelta(minutes=29))
    assert client.get(PAGE).status_code == 200  # activity: the clock starts again
    clock.shift(dt.timedelta(minutes=29))
    assert client.get(PAGE).status_code == 200  # 58 minutes signed in, never 30 idle
    clock.shift(dt.timedelta(minutes=31))
    response = client.get(PAGE + "?state=open", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:login") + "?next=")
    assert "state%3Dopen" in response.url  # back to the same page after signing in again
    assert not _signed_in(client)
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "30 分钟无操作" in page


def test_the_timeout_comes_from_the_settings(client, users, clock, settings):
    settings.SESSION_IDLE_TIMEOUT = dt.timedelta(minutes=5)
    client.force_login(users["dispatcher"])
    assert client.get(PAGE).status_code == 200
    clock.shift(dt.timedelta(minutes=6))
    assert client.get(PAGE).status_code == 302
    assert not _signed_in(client)


def test_activity_in_the_page_keeps_the_session(client, users, clock):
    # static/web/session.js posts here while the user types a long reply.
    client.force_login(users["dispatcher"])
    client.get(PAGE)
    for _ in range(4):
        clock.shift(dt.timedelta(minutes=25))
        assert client.post(reverse("web:session_alive")).status_code == 204
    assert client.get(PAGE).status_code == 200
    clock.shift(dt.timedelta(minutes=31))
    assert client.post(reverse("web:session_alive")).status_code == 401


def test_htmx_requests_are_sent_to_the_sign_in_page_whole(client, users, clock):
    client.force_login(users["dispatcher"])
    client.get(PAGE)
    clock.shift(dt.timedelta(minutes=31))
    response = client.get(PAGE, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("web:login"))


def test_the_api_session_times_out_too(client, users, clock):
    client.force_login(users["dispatcher"])
    assert client.get("/api/v1/tickets").status_code == 200
    clock.shift(dt.timedelta(minutes=31))
    assert client.get("/api/v1/tickets").status_code == 401


def test_the_session_is_written_at_most_once_a_minute(client, users, clock):
    client.force_login(users["dispatcher"])
    client.get(PAGE)
    first = client.session["last_seen"]
    clock.shift(dt.timedelta(seconds=30))
    client.get(PAGE)
    assert client.session["last_seen"] == first
    clock.shift(dt.timedelta(seconds=31))
    client.get(PAGE)
    assert client.session["last_seen"] == first + 61


def test_the_portal_has_no_sign_in_and_no_timeout(client, db, clock):
    assert client.get("/portal/").status_code == 200
    clock.shift(dt.timedelta(hours=2))
    assert client.get("/portal/").status_code == 200


def test_the_create_path_makes_no_query_more_for_the_sign_in_hardening(org, api, settings):
    # POST /api/v1/tickets with a bearer token: the OTP, idle-timeout and axes middlewares see
    # a request without a session and must not touch the database (bench/signin_overhead.py
    # measures their time).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.test_api_flow import CREATE

    agent = api(org["users"]["intake_agent"])
    serial = iter(range(100))

    def queries() -> int:
        # A new title each time: the same ticket twice within 10 minutes is refused as a repeat.
        ticket = {**CREATE, "title": f"话费多扣 {next(serial)}"}
        with CaptureQueriesContext(connection) as ctx:
            response = agent.post("/tickets", ticket)
            assert response.status_code == 201, response.content
        return len(ctx.captured_queries)

    queries()  # warm-up: first-use caches (policies, calendars)
    hardened = queries()
    ours = {"django_otp.middleware.OTPMiddleware", "complaintdesk.web.middleware.IdleSessionTimeout",
            "axes.middleware.AxesMiddleware"}
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m not in ours]
    assert queries() == hardened
