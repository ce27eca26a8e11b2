"""Sign-in hardening in a real browser (docs/security.md §2): the lock-out page, enrolling a
sign-in code from the QR code page, and signing in with a code; each page passes axe and
fetches nothing from outside the app."""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from browserkit import LABELS, PASSWORD


def totp(secret: str, at: float) -> str:
    """RFC 6238, as an authenticator app computes it."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return str((struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000).zfill(6)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_five_wrong_passwords_show_the_lock_out_page(people, org, lang):
    me = people(lang)
    me.goto("/login/")
    page = me.page
    for i in range(5):
        page.get_by_label(LABELS[lang]["username"]).fill("leader")
        page.get_by_label(LABELS[lang]["password"], exact=True).fill(f"wrong-{i}")
        with page.expect_navigation():
            page.get_by_role("button", name=LABELS[lang]["sign_in"]).click()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == {"zh": "登录已锁定", "en": "Sign-in locked"}[lang]
    assert {"zh": "15 分钟", "en": "15 minutes"}[lang] in page.get_by_role("alert").inner_text()
    me.axe("lock-out page")
    me.shot(f"signin-locked-{lang}")


def test_enrol_a_sign_in_code_and_sign_in_with_it(people, org):
    me = people("en").login("handler")
    page = me.page
    page.get_by_role("link", name=re.compile("handler")).click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", level=1).inner_text() == "My account"
    me.axe("my account")
    with page.expect_navigation():
        page.get_by_role("link", name="Set up a sign-in code").click()
    assert page.locator(".totp-qr svg").is_visible()
    secret = page.locator(".totp-secret").inner_text().replace(" ", "")
    me.axe("sign-in code set-up")
    me.shot("signin-code-setup")
    page.get_by_label("Code").fill(totp(secret, time.time()))
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm").click()
    assert "sign-in asks for it" in page.get_by_role("status").inner_text()

    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    me.goto("/login/")
    page.get_by_label("Staff number").fill("handler")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Sign-in code"
    me.axe("sign-in code step")
    page.get_by_label("Code").fill(totp(secret, time.time() + 30))  # the next code: each works once
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    me.guard.check()
    assert page.get_by_role("button", name="Sign out").is_visible()
