"""Helpers of the browser tests (tests/browser/conftest.py has the fixtures): a Person is one
browser context; the Guard records what pages must not do."""

from __future__ import annotations

import functools
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
# Generous: CI runs the browser tests beside the rest of the suite on two busy cores.
TIMEOUT_MS = 20_000
# A page's own files: one of them missing (4xx) fails the test like a server error.
ASSET_TYPES = frozenset({"stylesheet", "script", "image", "font"})


@functools.cache
def axe_source() -> str:
    # An expression (not a function) for page.evaluate: axe's UMD wrapper sets window.axe.
    return AXE_JS.read_text() + "\n;void 0"


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
    missing_assets: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"request outside the app (blocked): {u}" for u in self.outside]
            + [f"server error: {e}" for e in self.server_errors]
            + [f"JavaScript error: {e}" for e in self.js_errors]
            + [f"missing stylesheet, script, image or font: {e}" for e in self.missing_assets]
            + [f"blocked by the Content-Security-Policy: {e}" for e in self.csp_violations]
        )

    def check(self):
        problems = self.problems()
        if problems:
            self.outside.clear()
            self.server_errors.clear()
            self.js_errors.clear()
            self.missing_assets.clear()
            self.csp_violations.clear()
            pytest.fail("\n".join(problems), pytrace=False)


class Person:
    """One person in their own browser context: own cookies, own language, own viewport."""

    def __init__(self, browser, base_url: str, guard: Guard, lang: str, viewport: dict,
                 javascript: bool = True):
        self.base_url = base_url.rstrip("/")
        self.guard = guard
        self.lang = lang
        self.context = browser.new_context(
            base_url=self.base_url, locale=BROWSER_LOCALE[lang], viewport=viewport,
            # The pages run under the app's own Content-Security-Policy: anything it blocks
            # (an inline script or style, eval) shows as a console error and fails the test.
            timezone_id="Asia/Shanghai", bypass_csp=False, java_script_enabled=javascript,
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: guard.js_errors.append(f"{self.page.url}: {exc}"))
        self.page.on("response", self._response)
        self.page.on("console", self._console)

    def _route(self, route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.netloc == self.guard.host:
            route.continue_()
        else:
            self.guard.outside.append(f"{url} (from {self.page.url})")
            route.abort("blockedbyclient")

    def _console(self, message):
        if message.type == "error" and "Content Security Policy" in message.text:
            self.guard.csp_violations.append(f"{self.page.url}: {message.text}")

    def _response(self, response):
        if response.status >= 500:
            self.guard.server_errors.append(f"{response.status} {response.request.method} {response.url}")
        elif response.status >= 400 and response.request.resource_type in ASSET_TYPES:
            self.guard.missing_assets.append(f"{response.status} {response.url} (from {self.page.url})")

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

    def axe_violations(self, what: str, *, disable: tuple[str, ...] = ()) -> list[str]:
        """Run axe-core on the page as it is; the serious and critical violations, described."""
        # Evaluated by the browser's debugger protocol, not as a <script> of the page: the
        # page's Content-Security-Policy would (rightly) refuse an injected inline script.
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(axe_source())
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
        lines = []
        for v in result:
            if v["impact"] not in ("serious", "critical"):
                continue
            lines.append(f"axe: {what} ({self.lang}) {urlsplit(self.page.url).path} "
                         f"[{v['impact']}] {v['id']}: {v['help']}")
            lines += [f"    {n['target']}: {n['summary']}" for n in v["nodes"]]
        return lines

    def axe(self, what: str, *, disable: tuple[str, ...] = ()):
        """Fail on serious or critical axe-core violations of the page as it is."""
        lines = self.axe_violations(what, disable=disable)
        if lines:
            pytest.fail("\n".join(lines), pytrace=False)
        self.guard.check()

    def htmx_settled(self):
        """Wait until no htmx request is under way and the swapped content has settled."""
        self.page.wait_for_function(
            "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')")

    def overflow_x(self) -> int:
        """How many pixels the page is wider than the window (0: no sideways scrolling)."""
        return self.page.evaluate(
            "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")

    def english_phrases(self) -> list[str]:
        """Runs of three or more English words shown on the page (text, placeholders, ARIA
        labels and titles): on a Chinese page they are strings left untranslated."""
        texts = self.page.evaluate("""() => {
            const out = [document.body.innerText, document.title];
            for (const el of document.querySelectorAll('[placeholder],[aria-label],[title],[alt]')) {
                for (const a of ['placeholder', 'aria-label', 'title', 'alt']) {
                    if (el.getAttribute(a)) out.push(el.getAttribute(a));
                }
            }
            return out;
        }""")
        found = []
        for text in texts:
            for m in re.finditer(r"[A-Za-z]{2,}(?:[ ,'’:-]+[A-Za-z]{2,}){2,}", text):
                if m.group(0) not in found:
                    found.append(m.group(0))
        return found

    def tab_to(self, locator, *, limit: int = 60):
        """Press Tab until the locator's element has the keyboard focus (fails if it never does)."""
        handle = locator.element_handle()
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            if self.page.evaluate("(el) => document.activeElement === el", handle):
                return
        pytest.fail(f"{locator} never gets the keyboard focus ({limit} × Tab) on {self.page.url}",
                    pytrace=False)

    # -- forms ----------------------------------------------------------------------------------

    def fill(self, field, value):
        """Fill a located form control by what it is: text, select (by visible option text,
        exact or else the one option containing it), checkbox (True/False)."""
        tag = field.evaluate("(e) => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if tag.startswith("select"):
            options = [o.strip() for o in field.locator("option").all_inner_texts()]
            if value in options:
                field.select_option(label=value)
            else:
                matching = [o for o in options if value in o]
                assert len(matching) == 1, f"no single option containing {value!r} in {options}"
                field.select_option(label=matching[0])
        elif tag.endswith(":checkbox"):
            field.set_checked(bool(value))
        else:
            field.fill(str(value))

    def select_containing(self, field, text: str):
        self.fill(field, text)

    # -- the ticket page ------------------------------------------------------------------------

    def open_from_worklist(self, worklist_title: str, number: str) -> int:
        """From the worklists home, open a list by its title, then the ticket by its number."""
        self.goto("/work/")
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=worklist_title, exact=True).click()
        self.guard.check()
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=number, exact=True).click()
        self.guard.check()
        match = re.search(r"/tickets/(\d+)/", self.page.url)
        assert match, f"the worklist row did not lead to a ticket page: {self.page.url}"
        return int(match.group(1))

    def state_badge(self):
        return self.page.locator(".ticket-head .badge-state")

    def action_box(self, label: str):
        """The small form of one action on the ticket page, found by its visible name."""
        return self.page.locator("details.action").filter(
            has=self.page.locator("summary", has_text=exact(label)))

    def actions_offered(self) -> list[str]:
        return [t.strip() for t in self.page.locator("details.action > summary").all_inner_texts()]

    def act(self, label: str, fields: dict | None = None, radios: tuple[str, ...] = (),
            *, expect_done: bool = True, keyboard: bool = False):
        """Open the action's form, fill it by labels, press its button (the same name); with
        keyboard=True the form is opened with Enter on its summary and sent with Tab + Space.
        Returns the notice the page then shows."""
        from playwright.sync_api import expect

        box = self.action_box(label)
        assert box.count() == 1, f"action {label!r} is not offered; offered: {self.actions_offered()}"
        summary = box.locator("summary")
        if box.get_attribute("open") is None:
            if keyboard:
                summary.focus()
                self.page.keyboard.press("Enter")
                expect(box).to_have_attribute("open", "")
            else:
                summary.click()
        for field_label, value in (fields or {}).items():
            self.fill(box.get_by_label(labelled(field_label)), value)
        for radio in radios:
            box.get_by_role("radio", name=radio, exact=True).check()
        button = box.get_by_role("button", name=label, exact=True)
        before = self.page.locator("#ticket-main").element_handle()
        with self.page.expect_response(lambda r: r.request.method == "POST"):
            if keyboard:
                summary.focus()
                self.tab_to(button)
                self.page.keyboard.press("Space")
            else:
                button.click()
        try:  # the page part was swapped (htmx), or the page reloaded (no JavaScript)
            before.wait_for_element_state("hidden")
        except Exception as exc:  # noqa: BLE001 - a handle of the page before a reload is gone
            if "not attached" not in str(exc) and "context was destroyed" not in str(exc):
                raise
        self.page.wait_for_load_state("load")
        # htmx swaps in the page part with its notice; without JavaScript the page is
        # reloaded (POST → redirect → GET) with the message in the shell's message list.
        notice = self.page.locator("#ticket-main .notice, ul.messages > li")
        if expect_done:
            expect(notice).to_contain_text(label)
        else:
            expect(notice).to_be_visible()
        self.guard.check()
        return text_of(notice)

    def shot(self, name: str, *, full_page: bool = True):
        # Only a deliberate `SCREENSHOTS=1` run rewrites docs/screenshots/: an ordinary test run
        # (CI, a developer's machine) must not leave tracked files changed behind it.
        if os.environ.get("SCREENSHOTS") != "1":
            return
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


# -- the app's own words, in each language ----------------------------------------------------

LANG_CODE = {"zh": "zh-hans", "en": "en"}


def tr(lang: str, text) -> str:
    """What the app shows for a msgid (or a lazy label) in a language: the tests find buttons
    and fields by the visible words the users read, taken from the app's own catalogues."""
    from django.utils import translation

    with translation.override(LANG_CODE[lang]):
        return translation.gettext(text) if isinstance(text, str) else str(text)


def trn(lang: str, singular: str, plural: str, n: int) -> str:
    from django.utils import translation

    with translation.override(LANG_CODE[lang]):
        return translation.ngettext(singular, plural, n) % {"n": n}


def has_cjk(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


def exact(text: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def labelled(text: str) -> re.Pattern:
    """A field's label: the words, then perhaps the required mark (*) and what follows it."""
    return re.compile(rf"^\s*{re.escape(text)}\s*(\*.*)?$", re.S)


# -- the customer portal ------------------------------------------------------------------------

CUSTOMER_PHONE = "13912345678"
CATEGORY = {"zh": "多扣费", "en": "Overcharge"}  # billing-overcharge in the org fixture
ELEMENTS = {
    "zh": {"业务号码": CUSTOMER_PHONE, "争议月份": "2026-10-01", "争议金额": "58"},
    "en": {"Account number": CUSTOMER_PHONE, "Disputed month": "2026-10-01", "Disputed amount": "58"},
}
DESCRIPTION = {
    "zh": "十月份话费多扣了58元，我从没订过视频彩铃，请退费并说明原因。",
    "en": "My October bill charged 58 yuan for a video ringtone I never ordered. Please refund it.",
}


def portal_fill_filing(me: Person, *, keyboard: bool = False) -> None:
    """On /portal/file/: choose kind and category, fill the category's elements (they appear
    once it is chosen), the description, contact and the check question."""
    from playwright.sync_api import expect

    page, lang = me.page, me.lang
    # Each choice reloads a part of the form (htmx): wait for it before the next choice.
    with page.expect_response(lambda r: "/categories/" in r.url):
        me.fill(page.get_by_label(labelled(tr(lang, "What is it about?"))), tr(lang, "Complaint"))
    me.htmx_settled()  # the new select is live only once htmx has processed it
    category = page.locator("#id_category")
    expect(category.locator("option", has_text=CATEGORY[lang])).to_have_count(1)
    with page.expect_response(lambda r: "/elements/" in r.url):
        me.fill(page.get_by_label(labelled(tr(lang, "Category"))), CATEGORY[lang])
    me.htmx_settled()
    for label, value in ELEMENTS[lang].items():
        control = page.get_by_label(labelled(label))
        expect(control).to_be_visible()
        control.fill(value)
    page.get_by_label(labelled(tr(lang, "What happened"))).fill(DESCRIPTION[lang])
    page.get_by_label(labelled(tr(lang, "Your name"))).fill({"zh": "王芳", "en": "Wang Fang"}[lang])
    page.get_by_label(labelled(tr(lang, "Phone number"))).fill(CUSTOMER_PHONE)
    question = page.locator("#hint-challenge").inner_text()
    numbers = [int(n) for n in re.findall(r"\d+", question)]
    assert len(numbers) == 2, f"cannot read the check question: {question!r}"
    answer = page.get_by_label(labelled(tr(lang, "Check question")))
    answer.fill(str(sum(numbers)))


def tiny_png() -> bytes:
    """A real 1×1 PNG (uploads are checked by their content, not only their name)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def portal_file(me: Person, *, keyboard: bool = False, attachment: str = "") -> tuple[str, str]:
    """File a complaint on the portal as a customer (with a photo named `attachment`, if
    given); returns (ticket number, tracking code)."""
    page, lang = me.page, me.lang
    me.goto("/portal/")
    with page.expect_navigation():
        page.get_by_role("link", name=tr(lang, "Start")).click()
    portal_fill_filing(me)
    if attachment:
        page.get_by_label(labelled(tr(lang, "Attachments (optional)"))).set_input_files(
            files=[{"name": attachment, "mimeType": "image/png", "buffer": tiny_png()}])
    send = page.get_by_role("button", name=tr(lang, "Send"), exact=True)
    with page.expect_navigation():
        if keyboard:  # the whole form is reachable by keyboard: Tab to "Send", press Space
            page.get_by_label(labelled(tr(lang, "Check question"))).focus()
            me.tab_to(send)
            page.keyboard.press("Space")
        else:
            send.click()
    me.guard.check()
    code = text_of(page.locator("#tracking-code"))
    assert code, f"no tracking code on {page.url}: {text_of(page.locator('main'))[:300]}"
    number = text_of(page.locator("main strong").first)
    return number, code


def portal_lookup(me: Person, code: str, phone: str = CUSTOMER_PHONE) -> str:
    """Look a case up by tracking code and phone; returns the status shown."""
    page, lang = me.page, me.lang
    me.goto("/portal/track/")
    page.get_by_label(labelled(tr(lang, "Tracking code"))).fill(code)
    page.get_by_label(labelled(tr(lang, "Phone number"))).fill(phone)
    with page.expect_navigation():
        page.get_by_role("button", name=tr(lang, "Look up"), exact=True).click()
    me.guard.check()
    return text_of(page.locator("#case-status"))
