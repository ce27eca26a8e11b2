"""The checks themselves: a page that requests something outside the app is caught (and the
request never leaves), and axe-core does report a page with real violations."""

import pytest


def test_outside_requests_are_blocked_and_fail(people, org):
    me = people("en")
    me.goto("/login/")
    me.page.evaluate("""() => {
        const img = document.createElement('img');
        img.src = 'http://cdn.example.invalid/logo.png';
        img.alt = '';
        document.body.appendChild(img);
        return new Promise(r => { img.onerror = r; img.onload = r; });
    }""")
    assert any("cdn.example.invalid" in u for u in me.guard.outside)
    with pytest.raises(pytest.fail.Exception, match="request outside the app"):
        me.guard.check()
    assert not me.guard.outside  # reported once, then cleared


def test_axe_reports_serious_violations(people, org):
    me = people("en")
    me.goto("/login/")
    me.page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><h1>x</h1>'
        '<input type="text" name="nameless">'
        '<p style="color:#bbb;background:#fff">low contrast text</p></main></body></html>'
    )
    found = "\n".join(me.axe_violations("a bad page"))
    assert "label" in found
    assert "color-contrast" in found


def test_english_left_on_a_chinese_page_is_found(people, org):
    me = people("zh")
    me.goto("/login/")
    me.page.set_content('<html lang="zh-Hans"><body><h1>登录</h1><p>工号 agent · TS2026</p>'
                        '<input placeholder="Ticket number or phone" aria-label="工单"></body></html>')
    assert me.english_phrases() == ["Ticket number or phone"]


def test_a_missing_stylesheet_fails(people, org):
    me = people("en")
    me.goto("/login/")
    me.page.evaluate("""() => new Promise(r => {
        const link = document.createElement('link');
        link.rel = 'stylesheet'; link.href = '/static/web/no-such-file.css';
        link.onerror = r; link.onload = r;
        document.head.appendChild(link);
    })""")
    with pytest.raises(pytest.fail.Exception, match="no-such-file.css"):
        me.guard.check()
