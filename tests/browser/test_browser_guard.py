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
    # The app's Content-Security-Policy refuses it first (img-src 'self'); what slips past the
    # policy is aborted by the route. Either way it never leaves and the test fails.
    me.page.wait_for_timeout(200)  # the console message follows the error event
    assert any("cdn.example.invalid" in u for u in me.guard.outside + me.guard.csp_violations)
    with pytest.raises(pytest.fail.Exception, match="cdn.example.invalid"):
        me.guard.check()
    assert not me.guard.outside and not me.guard.csp_violations  # reported once, then cleared


def test_outside_requests_past_the_policy_are_blocked_by_the_route(people, org):
    me = people("en")
    me.goto("/login/")
    # A navigation of the page is not governed by its policy: only the route stops it.
    me.page.evaluate("() => { window.location.href = 'http://cdn.example.invalid/page'; }")
    me.page.wait_for_timeout(300)
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
        '<p id="pale">low contrast text</p></main></body></html>'
    )
    # Through the CSSOM, which the policy allows (a style= attribute it would refuse).
    me.page.evaluate("() => { const p = document.getElementById('pale');"
                     " p.style.color = '#bbb'; p.style.background = '#fff'; }")
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


def test_what_the_content_security_policy_blocks_fails(people, org):
    # The pages run under the app's real policy (no bypass): an injected inline script does
    # not run, an inline style is not applied, and either is reported.
    me = people("en")
    me.goto("/login/")
    ran = me.page.evaluate("""() => new Promise(r => {
        window.__ran = false;
        document.addEventListener('securitypolicyviolation', () => r(window.__ran), {once: true});
        const s = document.createElement('script');
        s.textContent = 'window.__ran = true;';
        document.body.appendChild(s);
    })""")
    assert ran is False
    me.page.wait_for_timeout(200)  # the console message follows the event
    with pytest.raises(pytest.fail.Exception, match="blocked by the Content-Security-Policy"):
        me.guard.check()
    assert not me.guard.csp_violations  # reported once, then cleared
