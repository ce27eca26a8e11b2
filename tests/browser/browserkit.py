"""Helpers of the browser tests (tests/browser/conftest.py has the fixtures): a Person is one
browser context; the Guard records what pages must not do."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "pw-for-tests-1"  # the org fixture's staff password (tests/conftest.py)

# The browser's own language setting (Accept-Language) per UI language under test.
BROWSER_LOCALE = {"zh": "zh-CN", "en": "en-US"}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000


def missing() -> str:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium fonts-wqy-microhei)"
    if not AXE_JS.exists():
        return f"{AXE_JS} is missing (run scripts/setup: npm ci)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (uv sync)"
    return ""


@dataclass
class Guard:
    """What pages tried that they must not: requests outside the app, server errors, JS errors."""

    host: str
    outside: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    js_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"request outside the app (blocked): {u}" for u in self.outside]
            + [f"server error: {e}" for e in self.server_errors]
            + [f"JavaScript error: {e}" for e in self.js_errors]
        )

    def check(self):
        problems = self.problems()
        if problems:
            self.outside.clear()
            self.server_errors.clear()
            self.js_errors.clear()
            pytest.fail("\n".join(problems), pytrace=False)


class Person:
    """One person in their own browser context: own cookies, own language, own viewport."""

    def __init__(self, browser, base_url: str, guard: Guard, lang: str, viewport: dict):
        self.base_url = base_url.rstrip("/")
        self.guard = guard
        self.lang = lang
        self.context = browser.new_context(
            base_url=self.base_url, locale=BROWSER_LOCALE[lang], viewport=viewport,
            timezone_id="Asia/Shanghai", bypass_csp=True,
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: guard.js_errors.append(f"{self.page.url}: {exc}"))
        self.page.on("response", self._response)

    def _route(self, route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.netloc == self.guard.host:
            route.continue_()
        else:
            self.guard.outside.append(f"{url} (from {self.page.url})")
            route.abort("blockedbyclient")

    def _response(self, response):
        if response.status >= 500:
            self.guard.server_errors.append(f"{response.status} {response.request.method} {response.url}")

    # -- navigation ---------------------------------------------------------------------------

    def goto(self, path: str, *, expect_ok: bool = True):
        response = self.page.goto(self.base_url + path)
        self.page.wait_for_load_state("load")
        self.guard.check()
        if expect_ok:
            assert response is not None and response.ok, f"GET {path}: {response and response.status}"
        return response

    def login(self, username: str, password: str = PASSWORD):
        self.goto("/login/")
        self.page.get_by_label(LABELS[self.lang]["username"]).fill(username)
        self.page.get_by_label(LABELS[self.lang]["password"], exact=True).fill(password)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=LABELS[self.lang]["sign_in"]).click()
        self.guard.check()
        assert urlsplit(self.page.url).path != "/login/", f"{username} could not sign in"
        return self

    # -- checks -------------------------------------------------------------------------------

    def axe(self, what: str, *, disable: tuple[str, ...] = ()):
        """Run axe-core on the page as it is; fail on serious or critical violations."""
        self.page.add_script_tag(path=str(AXE_JS))
        result = self.page.evaluate(
            """async (disabled) => {
                const rules = {};
                for (const id of disabled) rules[id] = {enabled: false};
                const r = await axe.run(document, {resultTypes: ['violations'], rules});
                return r.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(' '),
                        summary: (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 300)}))
                }));
            }""",
            list(disable),
        )
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        if bad:
            lines = [f"axe: {what} ({self.lang}) {self.page.url}"]
            for v in bad:
                lines.append(f"- [{v['impact']}] {v['id']}: {v['help']}")
                lines += [f"    {n['target']}: {n['summary']}" for n in v["nodes"]]
            pytest.fail("\n".join(lines), pytrace=False)
        self.guard.check()

    def tab_to(self, locator, *, limit: int = 60):
        """Press Tab until the locator's element has the keyboard focus (fails if it never does)."""
        handle = locator.element_handle()
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            if self.page.evaluate("(el) => document.activeElement === el", handle):
                return
        pytest.fail(f"{locator} never gets the keyboard focus ({limit} × Tab) on {self.page.url}",
                    pytrace=False)

    def shot(self, name: str, *, full_page: bool = True):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    def close(self):
        self.context.close()


# Visible texts the tests click or read, in each language (the app's own catalogue words).
LABELS = {
    "zh": {"username": "工号", "password": "密码", "sign_in": "登录", "sign_out": "退出"},
    "en": {"username": "Staff number", "password": "Password", "sign_in": "Sign in",
           "sign_out": "Sign out"},
}


def text_of(locator) -> str:
    return re.sub(r"\s+", " ", locator.inner_text()).strip()
