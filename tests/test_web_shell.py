"""The shell around the staff pages: sign-in, sign-out (POST only), navigation by role."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_login_page_renders_in_both_languages(client):
    zh = client.get(reverse("web:login"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 200
    assert "登录" in zh.content.decode()
    en = client.get(reverse("web:login"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Sign in" in en.content.decode()


def test_sign_in_and_out(client, org):
    response = client.post(reverse("web:login"), {"username": "agent", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    home = client.get(reverse("web:home"))
    assert home.status_code == 302
    # Sign-out changes state: GET must not do it.
    assert client.get(reverse("web:logout")).status_code == 405
    assert client.post(reverse("web:logout")).status_code == 302
    assert client.get(reverse("web:home")).url == reverse("web:login")


def test_wrong_password_says_so(client, org):
    response = client.post(
        reverse("web:login"), {"username": "agent", "password": "nope"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "wrong" in response.content.decode()


def test_navigation_depends_on_role(org):
    from complaintdesk.web.navigation import nav_items

    admin_keys = {i["key"] for i in nav_items(org["users"]["admin"])}
    handler_keys = {i["key"] for i in nav_items(org["users"]["handler"])}
    assert "admin" in admin_keys
    assert "admin" not in handler_keys
