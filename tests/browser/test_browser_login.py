"""Sign-in in a real browser: the language follows the browser, or the user's choice; the page
passes axe; the form works from the keyboard alone; nothing is fetched from outside the app."""

import pytest
from browserkit import LABELS, PASSWORD


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_login_page_language_axe_and_keyboard(people, org, lang):
    me = people(lang)
    me.goto("/login/")
    page = me.page
    # The browser's language decides (no cookie yet).
    expected_lang = {"zh": "zh-Hans", "en": "en"}[lang]
    assert page.locator("html").get_attribute("lang") == expected_lang
    assert page.get_by_role("heading", level=1).inner_text() == LABELS[lang]["sign_in"]
    me.axe("login")

    # A wrong password: said in the user's language, the staff number is kept.
    page.get_by_label(LABELS[lang]["username"]).fill("handler")
    page.get_by_label(LABELS[lang]["password"], exact=True).fill("wrong-password")
    with page.expect_navigation():
        page.get_by_role("button", name=LABELS[lang]["sign_in"]).click()
    alert = page.get_by_role("alert")
    assert alert.is_visible()
    assert {"zh": "工号或密码", "en": "staff number or the password"}[lang] in alert.inner_text()
    assert page.get_by_label(LABELS[lang]["username"]).input_value() == "handler"
    me.axe("login with an error")

    # Keyboard only: type the password, Tab to the sign-in button, press Enter.
    page.get_by_label(LABELS[lang]["password"], exact=True).fill(PASSWORD)
    page.get_by_label(LABELS[lang]["password"], exact=True).focus()
    me.tab_to(page.get_by_role("button", name=LABELS[lang]["sign_in"]))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert not page.url.endswith("/login/"), "the keyboard sign-in did not sign in"
    me.guard.check()
    # Signed in, on the workbench: the sign-out button is there, in the same language.
    assert page.get_by_role("button", name=LABELS[lang]["sign_out"]).is_visible()


def test_language_switch_is_remembered(people, org):
    me = people("zh")  # a Chinese browser...
    me.goto("/login/")
    assert me.page.locator("html").get_attribute("lang") == "zh-Hans"
    # ...whose user chooses English in the language switch (keyboard: select, then the button).
    me.page.get_by_label("语言").select_option("en")
    with me.page.expect_navigation():
        me.page.get_by_role("button", name="切换").click()
    assert me.page.locator("html").get_attribute("lang") == "en"
    me.lang = "en"
    me.login("agent")
    assert me.page.locator("html").get_attribute("lang") == "en"
    me.goto("/login/")  # still English on the next page (the choice is kept in a cookie)
    assert me.page.locator("html").get_attribute("lang") == "en"
