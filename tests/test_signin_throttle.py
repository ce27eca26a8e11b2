"""Sign-in throttling (docs/security.md §2): django-axes, counted in the database.

A staff number is locked after SIGNIN_LOCKOUT_ACCOUNT_FAILURES failures from anywhere, an
address after SIGNIN_LOCKOUT_IP_FAILURES failures on any staff numbers; the lock lasts
SIGNIN_LOCKOUT_MINUTES after the last failure. Locked: HTTP 429 with Retry-After and a page in
the user's language, on /login/ and on /admin/login/ alike; a right password does not help.
"""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from complaintdesk.accounts.models import User

PASSWORD = "pw-for-tests-1"
PATHS = ["/login/", "/admin/login/"]


def _post(client, path, username, password, ip="10.1.1.1", lang="en"):
    return client.post(
        path, {"username": username, "password": password},
        REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=lang,
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("path", PATHS)
def test_25_wrong_passwords_are_not_all_answered_200(client, users, path):
    statuses = [_post(client, path, "admin", f"wrong-{i}").status_code for i in range(25)]
    # Four wrong passwords are told as such; the fifth locks the account: 429 from then on.
    assert statuses == [200] * 4 + [429] * 21


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("lang", "words"), [("en", "Sign-in locked"), ("zh-hans", "登录已锁定")])
def test_locked_out_page_in_the_users_language_with_retry_after(client, users, path, lang, words):
    for i in range(5):
        response = _post(client, path, "admin", f"wrong-{i}", lang=lang)
    assert response.status_code == 429
    body = response.content.decode()
    assert words in body
    assert "15" in body  # how long the lock lasts
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    assert "<script>" not in body  # no inline script (CSP)
    # Even the right password is refused while locked, and nobody is signed in.
    response = _post(client, path, "admin", PASSWORD, lang=lang)
    assert response.status_code == 429
    assert not _signed_in(client)


def test_lock_is_per_account_from_any_address(client, users):
    for i in range(5):
        _post(client, "/login/", "handler", "wrong", ip=f"10.2.0.{i}")
    # A sixth address with the right password: still locked (someone is guessing this account).
    assert _post(client, "/login/", "handler", PASSWORD, ip="10.2.0.99").status_code == 429
    # Other accounts from the same addresses are not locked.
    assert _post(client, "/login/", "agent", PASSWORD, ip="10.2.0.1").status_code == 302


def test_lock_is_per_address_whatever_staff_numbers_it_tries(client, users, settings):
    settings.SIGNIN_LOCKOUT_IP_FAILURES = 12
    names = ["agent", "dispatcher", "handler", "head", "supervisor", "leader"]
    for i in range(12):  # two tries each: no account reaches its limit of five
        assert _post(client, "/login/", names[i % 6], "wrong", ip="10.3.3.3").status_code == (200 if i < 11 else 429)
    # The address is locked, even for a right password of an account never tried...
    assert _post(client, "/login/", "net", PASSWORD, ip="10.3.3.3").status_code == 429
    # ...while the same account signs in from another address.
    assert _post(Client(), "/login/", "net", PASSWORD, ip="10.3.3.4").status_code == 302


def test_one_office_behind_one_address_is_not_locked_by_a_few_typos(client, users):
    # The default per-address limit is well above the per-account one: ten staff mistyping
    # once each behind one NAT address do not lock each other out.
    names = ["agent", "dispatcher", "handler", "head", "supervisor", "leader", "admin", "net"]
    for name in names:
        assert _post(client, "/login/", name, "typo", ip="10.4.4.4").status_code == 200
    for name in names:
        other = Client()
        assert _post(other, "/login/", name, PASSWORD, ip="10.4.4.4").status_code == 302


def test_a_good_sign_in_forgives_only_the_accounts_own_failures(client, users):
    for _ in range(4):
        _post(client, "/login/", "agent", "wrong")
    assert _post(client, "/login/", "agent", PASSWORD).status_code == 302
    client.post(reverse("web:logout"))
    for _ in range(4):  # four more: the earlier four were forgiven
        assert _post(client, "/login/", "agent", "wrong").status_code == 200
    # Failures of this address on another account are not forgiven by agent's success.
    for _ in range(4):
        _post(client, "/login/", "leader", "wrong")
    assert _post(client, "/login/", "agent", PASSWORD).status_code == 302
    assert _post(Client(), "/login/", "leader", "wrong").status_code == 429


def test_the_lock_ends_after_the_cool_off(client, users):
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            _post(client, "/login/", "agent", "wrong")
        assert _post(client, "/login/", "agent", PASSWORD).status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=False):
        response = _post(client, "/login/", "agent", PASSWORD)
        assert response.status_code == 429  # a try while locked does not restart the clock
        assert 4 * 60 < int(response["Retry-After"]) <= 5 * 60
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert _post(client, "/login/", "agent", PASSWORD).status_code == 302


def test_limits_and_duration_come_from_the_settings(client, users, settings):
    settings.SIGNIN_LOCKOUT_ACCOUNT_FAILURES = 3
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=2)
    statuses = [_post(client, "/login/", "agent", "wrong").status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429]
    assert int(_post(client, "/login/", "agent", PASSWORD)["Retry-After"]) <= 120


def test_the_count_is_in_the_database_shared_by_every_worker(users):
    # Each Client is a separate browser; the count lives in AccessAttempt rows, which every
    # gunicorn worker reads, not in any one process's memory.
    for i in range(5):
        _post(Client(), "/login/", "agent", f"wrong-{i}")
    assert sum(a.failures_since_start for a in AccessAttempt.objects.filter(username="agent")) == 5
    assert _post(Client(), "/admin/login/", "agent", PASSWORD).status_code == 429


def test_an_administrator_unlocks_with_the_management_command(client, users):
    for _ in range(5):
        _post(client, "/login/", "agent", "wrong")
    assert _post(client, "/login/", "agent", PASSWORD).status_code == 429
    call_command("axes_reset_username", "agent")
    assert _post(client, "/login/", "agent", PASSWORD).status_code == 302


def test_an_administrator_unlocks_in_the_admin(client, users):
    for _ in range(5):
        _post(client, "/login/", "agent", "wrong")
    superuser = User.objects.create_superuser(username="root", password="root-pass-1234", role="admin")
    boss = Client()
    boss.force_login(superuser)
    changelist = boss.get(reverse("admin:axes_accessattempt_changelist"))
    assert changelist.status_code == 200
    assert "agent" in changelist.content.decode()
    ids = [str(pk) for pk in AccessAttempt.objects.filter(username="agent").values_list("pk", flat=True)]
    response = boss.post(reverse("admin:axes_accessattempt_changelist"), {
        "action": "delete_selected", "_selected_action": ids, "post": "yes",
    })
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="agent").exists()
    assert _post(client, "/login/", "agent", PASSWORD).status_code == 302


def test_the_proxys_address_is_believed_only_when_configured(client, users, settings):
    # Without TRUSTED_PROXIES a forged X-Forwarded-For changes nothing: the lock follows REMOTE_ADDR.
    for i in range(5):
        client.post("/login/", {"username": "agent", "password": "x"}, REMOTE_ADDR="10.5.5.5",
                    HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.5.5.5"}
    settings.TRUSTED_PROXIES = 1
    client.post("/login/", {"username": "head", "password": "x"}, REMOTE_ADDR="10.5.5.5",
                HTTP_X_FORWARDED_FOR="192.0.2.77")
    assert AccessAttempt.objects.filter(username="head").get().ip_address == "192.0.2.77"


def test_the_api_has_no_password_sign_in(client):
    # The API takes bearer tokens (random, 256 bits: nothing to guess) and the session of the
    # pages; no endpoint takes a password, so there is no third door to throttle.
    spec = client.get("/api/v1/openapi.json").json()
    text = str(spec).lower()
    assert "password" not in text
    assert not [p for p in spec["paths"] if "login" in p or "token" in p or "auth" in p]
