"""Password policy (docs/security.md §2): Django's validators — at least PASSWORD_MIN_LENGTH
(10) characters, not a common password, not all digits, not like the staff member's own
names, e-mail or staff number — on every form that sets a password, in both languages."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from complaintdesk.accounts.models import User
from complaintdesk.demo import catalogue
from complaintdesk.demo.loader import DEMO_PASSWORD


def _problems(password, user=None, lang="en") -> str:
    with translation.override(lang):
        try:
            validate_password(password, user)
        except ValidationError as error:
            return " ".join(error.messages)
    return ""


@pytest.mark.parametrize(("password", "en", "zh"), [
    ("abc-def-1", "at least 10 characters", "至少"),     # 9 characters: Django's default 8 let it in
    ("qwertyuiop", "too common", "常见"),
    ("8426193750", "entirely numeric", "只包含数字"),
])
def test_weak_passwords_are_refused_in_both_languages(password, en, zh):
    assert en in _problems(password)
    assert zh in _problems(password, lang="zh-hans")


def test_a_password_like_the_staff_members_own_names_is_refused(db):
    user = User(username="u1", display_name="wangxiaoming", employee_no="G77123456")
    assert "too similar to the display name" in _problems("wangxiaoming1", user)
    assert "too similar to the employee number" in _problems("G77123456x", user)
    assert _problems("lantern-river-42", user) == ""


def test_the_demo_and_test_passwords_meet_the_policy(db):
    # They are set as hashes (no validator runs), but must not be what the policy forbids.
    for spec in catalogue.STAFF:
        user = User(username=spec.username, display_name=spec.display_name, employee_no=spec.employee_no,
                    email=f"{spec.username}@jiangnan.example")
        assert _problems(DEMO_PASSWORD, user) == "", spec.username
    for name in ("agent", "dispatcher", "handler", "head", "supervisor", "leader", "admin", "net"):
        assert _problems("pw-for-tests-1", User(username=name, display_name=name)) == ""


def test_the_admin_refuses_a_weak_password_for_a_new_account(client, users):
    root = User.objects.create_superuser(username="root", password="root-pass-1234", role="admin")
    client.force_login(root)
    response = client.post(reverse("admin:accounts_user_add"), {
        "username": "newbie", "usable_password": "true", "password1": "12345678", "password2": "12345678",
        "role": "intake_agent", "org_unit": users["intake_agent"].org_unit_id,
    }, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    body = response.content.decode()
    assert "只包含数字" in body and "至少" in body
    assert not User.objects.filter(username="newbie").exists()


def test_staff_change_their_own_password_under_the_policy(client, users):
    client.force_login(users["handler"])
    url = reverse("web:password_change")
    weak = client.post(url, {"old_password": "pw-for-tests-1", "new_password1": "short-1", "new_password2": "short-1"},
                       HTTP_ACCEPT_LANGUAGE="en")
    assert weak.status_code == 200
    assert "at least 10 characters" in weak.content.decode()
    good = client.post(url, {"old_password": "pw-for-tests-1", "new_password1": "harbour-lamp-93",
                             "new_password2": "harbour-lamp-93"})
    assert good.status_code == 302 and good.url == reverse("web:account")
    users["handler"].refresh_from_db()
    assert users["handler"].check_password("harbour-lamp-93")
    assert client.get(reverse("web:account")).status_code == 200  # still signed in
