"""Steps every browser flow shares: signing in through the real forms, and checking a page.

API: `sign_in(page, server, account, totp)` signs in through /auth/login (and /auth/2fa with a
fresh TOTP code when the account has a second factor) and waits for the landing page;
`checkpoint(page, name)` saves a full-page screenshot and runs the axe-core check on the page.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.accessibility import check_accessibility
from tests.e2e.live_server import Account, LiveServer
from tests.e2e.screens import screenshot
from tests.e2e.totp import TotpClock


def checkpoint(page: Page, name: str) -> None:
    page.wait_for_load_state("load")
    screenshot(page, name)
    check_accessibility(page, name)


def sign_in(page: Page, server: LiveServer, account: Account, totp: TotpClock) -> None:
    page.goto(f"{server.url}/auth/login")
    checkpoint(page, "sign-in")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.locator("main form button[type=submit]").click()
    if account.totp_secret:
        expect(page).to_have_url(f"{server.url}/auth/2fa")
        checkpoint(page, "second-factor")
        page.locator("input[name=code]").fill(totp.code(account.totp_secret))
        page.locator("main form button[type=submit]").click()
    expect(page.locator("form[action='/auth/logout']")).to_be_visible()
