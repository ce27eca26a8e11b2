"""Sign-in codes (TOTP) for staff (docs/security.md §2), with real codes computed here from the
secret the page shows, by our own RFC 6238 arithmetic (as an authenticator app would)."""

import base64
import datetime as dt
import hashlib
import hmac
import re
import struct

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from complaintdesk.accounts.models import RoleTotpRequirement

PASSWORD = "pw-for-tests-1"


def rfc6238(secret_b32: str, at: dt.datetime, step: int = 30, digits: int = 6) -> str:
    key = base64.b32decode(secret_b32.replace(" ", "") + "=" * (-len(secret_b32.replace(" ", "")) % 8))
    counter = int(at.timestamp()) // step
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def _secret(html: str) -> str:
    match = re.search(r'<code class="totp-secret">([A-Z2-7 ]+)</code>', html)
    assert match, "the page shows no secret"
    return match.group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def clock():
    """Time that moves only when told to: codes are computed for known instants."""
    start = dt.datetime(2026, 12, 4, 9, 0, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        traveller.now = lambda: dt.datetime.now(dt.UTC)
        yield traveller


def _enrol(client, user, clock) -> str:
    """Enrol `user` on the account page; returns the secret (as the app would keep it)."""
    client.force_login(user)
    page = client.get(reverse("web:totp_enrol"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "<svg" in html and "<script>" not in html
    secret = _secret(html)
    response = client.post(reverse("web:totp_enrol"), {"code": rfc6238(secret, clock.now())})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert TOTPDevice.objects.get(user=user).confirmed
    client.post(reverse("web:logout"))
    clock.shift(dt.timedelta(seconds=60))  # a code works once: later sign-ins use later codes
    return secret


def test_enrolment_shows_a_server_made_qr_code_and_needs_a_right_code(client, users, clock):
    client.force_login(users["handler"])
    page = client.get(reverse("web:totp_enrol"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert "设置登录验证码" in html
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert "<path" in svg and "http" not in svg.replace("http://www.w3.org", "")  # no outside image
    secret = _secret(html)
    assert not TOTPDevice.objects.exists()  # showing the page writes nothing (no change on GET)
    # Reloading keeps the same secret (what the app scanned stays valid).
    assert _secret(client.get(reverse("web:totp_enrol")).content.decode()) == secret
    wrong = client.post(reverse("web:totp_enrol"), {"code": _wrong(rfc6238(secret, clock.now()))}, HTTP_ACCEPT_LANGUAGE="en")
    assert "wrong or has expired" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=users["handler"], confirmed=True).exists()
    clock.shift(dt.timedelta(seconds=2))  # django-otp's delay after a wrong code
    assert client.post(reverse("web:totp_enrol"), {"code": rfc6238(secret, clock.now())}).status_code == 302
    assert TOTPDevice.objects.get(user=users["handler"]).confirmed


def test_an_enrolled_staff_member_signs_in_with_password_then_code(client, users, clock):
    secret = _enrol(client, users["handler"], clock)
    response = client.post("/login/", {"username": "handler", "password": PASSWORD, "next": "/work/"})
    assert response.status_code == 302 and response.url == reverse("web:login_code")
    assert "_auth_user_id" not in client.session  # the password alone signs nobody in
    assert client.get("/work/").status_code == 302  # still anonymous
    page = client.get(reverse("web:login_code"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "6 位验证码" in page.content.decode()
    wrong = client.post(reverse("web:login_code"), {"code": _wrong(rfc6238(secret, clock.now()))})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    clock.shift(dt.timedelta(seconds=2))
    code = rfc6238(secret, clock.now())
    response = client.post(reverse("web:login_code"), {"code": code})
    assert response.status_code == 302 and response.url == "/work/"
    assert client.session["_auth_user_id"] == str(users["handler"].pk)
    # The same code again (a replay, in another browser): refused.
    client.post(reverse("web:logout"))
    other = Client()
    other.post("/login/", {"username": "handler", "password": PASSWORD})
    assert other.post(reverse("web:login_code"), {"code": code}).status_code == 200
    assert "_auth_user_id" not in other.session


def test_wrong_codes_count_towards_the_lock_out(client, users, clock):
    secret = _enrol(client, users["handler"], clock)
    client.post("/login/", {"username": "handler", "password": PASSWORD})
    statuses = []
    for _ in range(5):
        statuses.append(client.post(reverse("web:login_code"), {"code": _wrong(rfc6238(secret, clock.now()))}).status_code)
        clock.shift(dt.timedelta(seconds=20))  # past django-otp's own growing delay
    assert statuses == [200, 200, 200, 200, 429]
    response = client.post(reverse("web:login_code"), {"code": rfc6238(secret, clock.now())})
    assert response.status_code == 429 and "_auth_user_id" not in client.session


def test_the_code_must_follow_the_password_within_five_minutes(client, users, clock):
    secret = _enrol(client, users["handler"], clock)
    client.post("/login/", {"username": "handler", "password": PASSWORD})
    clock.shift(dt.timedelta(minutes=6))
    response = client.post(reverse("web:login_code"), {"code": rfc6238(secret, clock.now())})
    assert response.status_code == 302 and response.url == reverse("web:login")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("how", ["account", "role"])
def test_an_administrator_can_require_the_code_and_sign_in_enrols(client, users, clock, how):
    agent = users["intake_agent"]
    if how == "account":
        agent.totp_required = True
        agent.save(update_fields=["totp_required"])
    else:
        RoleTotpRequirement.objects.create(role="intake_agent")
    response = client.post("/login/", {"username": "agent", "password": PASSWORD})
    assert response.url == reverse("web:login_code")
    page = client.get(reverse("web:login_code"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "requires a sign-in code" in page and "<svg" in page
    secret = _secret(page)
    response = client.post(reverse("web:login_code"), {"code": rfc6238(secret, clock.now())})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(agent.pk)
    assert TOTPDevice.objects.get(user=agent).confirmed
    # Required: it cannot be removed by the staff member.
    clock.shift(dt.timedelta(seconds=60))
    client.post(reverse("web:totp_disable"), {"code": rfc6238(secret, clock.now())})
    assert TOTPDevice.objects.filter(user=agent).exists()
    # Another staff member of another role is not asked.
    assert Client().post("/login/", {"username": "leader", "password": PASSWORD}).url == "/"


def test_the_admin_site_requires_the_code_when_enrolled(client, users, clock):
    admin_user = users["admin"]
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save(update_fields=["is_staff", "is_superuser"])
    secret = _enrol(client, admin_user, clock)
    # A session that did not pass the code (e.g. from before enrolment) does not open the admin.
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 302
    # The admin's own sign-in page is the two-step sign-in: the password leads to the code.
    client.post(reverse("web:logout"))
    response = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": PASSWORD, "next": "/admin/"})
    assert response.url == reverse("web:login_code")
    response = client.post(reverse("web:login_code"), {"code": rfc6238(secret, clock.now())})
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200
    # The admin never shows a staff member's secret.
    device = TOTPDevice.objects.get(user=admin_user)
    assert client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk])).status_code == 403


def test_without_enrolment_the_admin_works_as_before(client, users):
    admin_user = users["admin"]
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save(update_fields=["is_staff", "is_superuser"])
    response = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": PASSWORD, "next": "/admin/"})
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_signed_in_non_admin_on_the_admin_sign_in_is_told_why(client, users):
    client.force_login(users["handler"])
    page = client.get("/admin/login/?next=/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "may not open the administration yet" in page.content.decode()


def test_removing_the_code_needs_a_current_code(client, users, clock):
    secret = _enrol(client, users["handler"], clock)
    client.post("/login/", {"username": "handler", "password": PASSWORD})
    client.post(reverse("web:login_code"), {"code": rfc6238(secret, clock.now())})
    clock.shift(dt.timedelta(seconds=60))
    client.post(reverse("web:totp_disable"), {"code": "000000" if rfc6238(secret, clock.now()) != "000000" else "111111"})
    assert TOTPDevice.objects.filter(user=users["handler"]).exists()
    clock.shift(dt.timedelta(seconds=60))
    client.post(reverse("web:totp_disable"), {"code": rfc6238(secret, clock.now())})
    assert not TOTPDevice.objects.filter(user=users["handler"]).exists()
    client.post(reverse("web:logout"))
    assert client.post("/login/", {"username": "handler", "password": PASSWORD}).url == "/"
