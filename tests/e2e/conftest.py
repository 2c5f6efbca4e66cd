"""Fixtures of the browser tests: one live Custos server per session, Chromium, guards.

Fixtures (see the modules for details):
- `live_server` (session): a `LiveServer` (tests/e2e/live_server.py) on its own fresh database
  of the session's backend, demo loaded; `live_server.account("lawyer")` etc.
- `browser` (session): headless Debian Chromium (tests/e2e/browser.py).
- `context` / `page` (per test): a fresh BrowserContext and a Page in it, watched by `guard`
  (tests/e2e/guards.py); after the test, any console error, failed request or unexpected
  answer >= 400 fails it. `guard.expect(status, url_regex)` allows an intentional one.
- `phone` (per test): (context, page, guard) of a phone-sized (390×844) touch browser.
- `totp` (session): a `TotpClock` (tests/e2e/totp.py) giving never-reused codes.
Helpers: `tests.e2e.actions.sign_in`, `checkpoint` (screenshot + axe), `tests.e2e.screens.
screenshot`, `tests.e2e.accessibility.check_accessibility`.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.browser import launch, require_chromium
from tests.e2e.guards import Guard
from tests.e2e.live_server import fresh_database, start_live_server
from tests.e2e.totp import TotpClock

expect.set_options(timeout=20_000)  # a busy 2-core machine; the pages themselves are quick
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory):
    require_chromium()  # no server is worth starting without the browser
    workdir = tmp_path_factory.mktemp("e2e")
    with fresh_database(workdir) as url:
        server = start_live_server(url, workdir / "instance")
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def browser():
    require_chromium()
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def totp() -> TotpClock:
    return TotpClock()


@pytest.fixture
def context(browser, live_server):
    ctx = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    ctx.set_default_timeout(20_000)
    yield ctx
    ctx.close()


@pytest.fixture
def guard(context) -> Guard:
    return Guard(context)


@pytest.fixture
def page(context, guard, live_server):
    tab = context.new_page()
    yield tab
    guard.check()


@pytest.fixture
def phone(browser, live_server):
    """A page in a phone-sized browser, watched by the guard like the conftest's `page`."""
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(20_000)
    guard = Guard(context)
    try:
        yield context, context.new_page(), guard
        guard.check()
    finally:
        context.close()
