"""Browser tests: Debian's Chromium driven by Playwright (sync API) against pytest-django's
live server, one browser context (own cookies, own language) per person.

- Nothing is downloaded: Chromium is /usr/bin/chromium (scripts/test installs it with apt on a
  fresh machine), axe-core comes from node_modules (scripts/setup).
- Every request that leaves the app is aborted and fails the test ("no page requests anything
  outside the app"); so does a server error (5xx) or a JavaScript error in a page.
- Accessibility: axe-core runs in the page; violations of impact serious or critical fail.

Where Chromium is missing the tests are skipped with a message, except in CI (CI=true), where
that is a failure. Helpers are in browserkit.py.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
from browserkit import CHROMIUM, CHROMIUM_ARGS, DESKTOP, TIMEOUT_MS, Guard, Person, missing


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real browser (tests/browser)")


def pytest_collection_modifyitems(config, items):
    # Every test that drives Chromium (here, or elsewhere with the same fixture) is marked, so
    # that `-m "not browser"` leaves them out (scripts/test: BROWSER_TESTS).
    for item in items:
        if "tests/browser/" in item.nodeid or "chromium" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def chromium():
    """One Chromium per test module. Playwright's sync API keeps an asyncio loop running in
    this thread; Django refuses ORM calls under a running loop unless told that this is a
    plain synchronous test, so the permission is given only while the browser runs."""
    reason = missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(f"browser tests SKIPPED: {reason}")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    mp = pytest.MonkeyPatch()
    mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()
        pw.stop()
        mp.undo()


@pytest.fixture
def people(chromium, live_server):
    """people(lang, viewport=DESKTOP, javascript=True) → a new Person (own browser context) on the live server.
    After the test every context is closed; anything the guard recorded fails the test."""
    guard = Guard(host=urlsplit(live_server.url).netloc)
    made: list[Person] = []

    def make(lang: str = "en", viewport: dict | None = None, javascript: bool = True) -> Person:
        person = Person(chromium, live_server.url, guard, lang, viewport or DESKTOP, javascript)
        made.append(person)
        return person

    make.guard = guard
    yield make
    for person in made:
        person.close()
    problems = guard.problems()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
