"""On a phone (390×844): typing survives an expired session, the second factor's QR code renders,
errors are announced and focused, and no page scrolls sideways. Issue 18, items 1, 6, 8 and 9.

The session expires the way the idle limit ends it: the signed session cookie is re-signed with
the server's key and a last activity 31 minutes ago, so the server's own idle check
(app/auth/gate.py) signs the person out on their next request, as after a long silence.
"""

from __future__ import annotations

import re
import secrets
import time
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import PHONE
from tests.e2e.field_steps import investigation_url, register_witness
from tests.e2e.live_server import DEMO_REFERENCE, LiveServer
from tests.e2e.test_accessibility import (
    BEHIND_ACTIONS,
    CHECKED_IN_THEIR_FLOW,
    HTML_PAGES,
    STARTS,
    endpoint_of,
    walk,
)
from tests.e2e.test_accessibility import sign_in as sign_in_walking

pytestmark = pytest.mark.e2e

SESSION_COOKIE = "custos_session"
TRANSCRIPT = (
    "We ran to the shelter under the bakery when the planes came back. "
    "My neighbour's son was still outside. (e2e: typed before the session expired)"
)


def sign_in(page: Page, server: LiveServer, role: str, totp) -> None:
    account = server.account(role)
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    page.locator("main form button[type=submit]").click()
    if account.totp_secret:
        page.locator("#code").fill(totp.code(account.totp_secret))
        page.locator("main form button[type=submit]").click()
    # Signed in and the landing page whole: the next navigation must not cut it off (a busy
    # machine showed GET / aborted when the test moved on at once).
    expect(page.locator("form[action='/auth/logout']")).to_be_visible()
    page.wait_for_load_state("load")


def idle_for(context: BrowserContext, server: LiveServer, minutes: int) -> None:
    """Make the browser's session look `minutes` idle, signed with the server's own key."""
    signer_app = Flask("cookie-signer")
    signer_app.secret_key = server.env["SECRET_KEY"]
    serializer = SecureCookieSessionInterface().get_signing_serializer(signer_app)
    cookie = next(c for c in context.cookies() if c["name"] == SESSION_COOKIE)
    data = serializer.loads(cookie["value"])
    data["last_seen"] = int(time.time()) - minutes * 60
    context.add_cookies([{**cookie, "value": serializer.dumps(data)}])


def new_interview_form(page: Page, server: LiveServer) -> None:
    page.goto(investigation_url(server, "/interviews/new"))
    page.locator("select[name=witness_id]").select_option(index=1)
    page.locator("select[name=languages]").select_option("ar")
    page.locator("input[name=interpreter_present][value=no]").check()


def test_a_transcript_typed_before_the_session_expires_is_there_after_signing_in(
    phone, live_server, totp
):
    context, page, guard = phone
    page.goto(f"{live_server.url}/auth/login")
    sign_in(page, live_server, "field", totp)
    new_interview_form(page, live_server)
    witness = page.locator("select[name=witness_id]").input_value()
    with page.expect_response(
        lambda answer: answer.url.endswith("/drafts") and TRANSCRIPT in answer.request.post_data
    ) as kept:
        page.locator("textarea[name=transcript]").fill(TRANSCRIPT)  # kept within seconds
    assert kept.value.ok
    status = page.locator(".draft-status")
    expect(status).to_have_text(re.compile(r"^Draft kept at \S+"))

    # The page's own next keep, if it comes before the click, meets the ended session too.
    guard.expect(401, r"/drafts$", "POST", optional=True)
    idle_for(context, live_server, minutes=31)
    page.locator("input[name=save]").click()
    expect(page).to_have_url(re.compile(r"/auth/login\?next="))
    expect(page.locator("main")).to_contain_text("signed out after 30 minutes")
    sign_in(page, live_server, "field", totp)

    expect(page).to_have_url(investigation_url(live_server, "/interviews/new"))
    expect(page.locator("textarea[name=transcript]")).to_have_value(TRANSCRIPT)
    expect(page.locator("select[name=witness_id]")).to_have_value(witness)
    expect(status).to_contain_text("is back in the form")
    page.locator("input[name=save]").click()
    expect(page).to_have_url(re.compile(r"/interviews/[0-9a-f-]{8,}$"))
    expect(page.locator("main")).to_contain_text(TRANSCRIPT)
    # Saved as the record, the draft is gone: a new form starts empty.
    page.goto(investigation_url(live_server, "/interviews/new"))
    expect(page.locator("textarea[name=transcript]")).to_have_value("")


def test_the_second_factors_qr_code_renders_on_a_phone(phone, live_server, totp):
    """A new lawyer's first sign-in: the QR code is a picture with a size of its own (an SVG
    served without its namespace loads as an empty image of natural size 0)."""
    context, page, guard = phone
    email = f"qr.{secrets.token_hex(3)}@e2e.custos.example"
    made = live_server.flask("users", "create", email, "--role", "lawyer", "--name", "QR (e2e)")
    link = re.search(r"/auth/set-password#\S+", made)
    assert link, made
    page.goto(live_server.url + link.group(0))
    password = secrets.token_urlsafe(18)
    page.locator("input[name=password]").fill(password)
    page.locator("input[name=confirm]").fill(password)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/auth/login"))
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/auth/2fa/enroll"))
    qr = page.locator("main img.qr")
    expect(qr).to_be_visible()
    width, height = qr.evaluate(
        """img => img.complete ? [img.naturalWidth, img.naturalHeight]
           : new Promise(done => img.addEventListener('load',
               () => done([img.naturalWidth, img.naturalHeight])))"""
    )
    assert width > 0 and height > 0, f"the QR code has no picture ({width}×{height})"
    assert qr.bounding_box()["width"] <= PHONE["width"], "the QR code is wider than the phone"


def focused_alert(page: Page):
    """The element holding focus, if it is an announced (role=alert) error summary."""
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return e && e.getAttribute('role') === 'alert' ? e.innerText : null; }"
    )


def test_a_seal_error_is_announced_and_focused(phone, live_server, totp):
    context, page, guard = phone
    page.goto(f"{live_server.url}/auth/login")
    sign_in(page, live_server, "field", totp)
    witness_code = register_witness(page, live_server)  # with consent to be interviewed
    new_interview_form(page, live_server)
    page.locator("select[name=witness_id]").select_option(label=witness_code)
    page.locator("textarea[name=transcript]").fill("Seal-error check (e2e).")
    page.locator("input[name=save_and_seal]").click()
    expect(page).to_have_url(re.compile(r"/seal$"))
    guard.expect(400, r"/seal$", "POST")
    page.locator("form[action$='/seal'] button[type=submit]").click()  # not confirmed
    summary = page.locator(".error-summary[role=alert]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Tick the box to confirm.")
    assert "Nothing was saved" in (focused_alert(page) or "")
    assert summary.bounding_box()["y"] < PHONE["height"], "the error is out of sight"
    # …and beside its field.
    expect(page.locator("#confirm-error")).to_be_visible()


class Overflow:
    """Walks like the accessibility test, checking that nothing is wider than the screen."""

    def __init__(self) -> None:
        self.checked: set[str] = set()
        self.failures: list[str] = []

    def check(self, page: Page, who: str, name: str) -> None:
        page.wait_for_load_state("load")
        # The screen's width, not window.innerWidth: a mobile browser widens its layout
        # viewport (zooming out) to fit a page that is too wide.
        view = page.viewport_size["width"]
        widths = page.evaluate(
            "(view) => ({page: document.documentElement.scrollWidth, view: view,"
            " wide: [...document.querySelectorAll('main *')]"
            ".filter(e => e.getBoundingClientRect().right > view + 1)"
            ".slice(0, 4).map(e => e.tagName.toLowerCase() + '.' + e.className)})",
            view,
        )
        endpoint = endpoint_of(urlsplit(page.url).path)
        if endpoint:
            self.checked.add(endpoint)
        if widths["page"] > widths["view"]:
            self.failures.append(
                f"{who} {name} {urlsplit(page.url).path}: {widths['page']}px wide on a"
                f" {widths['view']}px screen ({', '.join(widths['wide'])})"
            )


def visit_a_translation(page: Page, server: LiveServer, overflow: Overflow) -> None:
    """A sealed translation, by the links a person follows. The list shows the newest interviews
    first and the demo's are from 2015, so those the other browser tests add push them to later
    pages: the sealed interviews are read from the last page of the list back, oldest first,
    until one links to a translation."""
    page.goto(f"{server.url}/investigations/{DEMO_REFERENCE}/interviews")
    page.locator("main nav.subnav a[href$='status=sealed']").click()
    expect(page.locator("main nav.subnav a[aria-current=page]")).to_have_text("Sealed")
    pager = page.locator("main nav.pager")
    while pager.locator("a[href*='page=']", has_text="Next").count():
        pager.locator("a[href*='page=']", has_text="Next").click()
        page.wait_for_load_state("load")
    while True:
        listed = page.url
        interviews = page.locator("main table tbody tr td:nth-child(1) a[href]").evaluate_all(
            "links => links.map(a => a.href).reverse()"
        )
        for href in interviews:
            page.goto(href)
            link = page.locator("main ul.translations a[href*='/translations/']").first
            if link.count():
                link.click()
                expect(page).to_have_url(re.compile(r"/translations/[0-9a-f-]{8,}$"))
                overflow.check(page, "lawyer", "translation")
                return
        page.goto(listed)
        earlier = pager.locator("a[href*='page=']", has_text="Previous")
        assert earlier.count(), "no sealed interview of the demo links to a translation"
        earlier.click()
        page.wait_for_load_state("load")


@pytest.mark.once  # layout only: the same pages answer on PostgreSQL in the accessibility walk
def test_no_page_scrolls_sideways_on_a_phone(phone, live_server, totp):
    context, page, guard = phone
    guard.expect(401, r"/auth/login$", "POST", optional=True)
    overflow = Overflow()
    for anonymous in ("/auth/login", "/auth/set-password"):
        page.goto(f"{live_server.url}{anonymous}")
        overflow.check(page, "anonymous", anonymous)
    for role in ("admin", "lawyer", "field"):
        sign_in_walking(page, live_server, live_server.account(role), totp, overflow)
        walk(page, live_server, role, overflow, STARTS[role])
        if role == "lawyer":
            visit_a_translation(page, live_server, overflow)
        page.goto(f"{live_server.url}/auth/settings")
        page.locator("form[action='/auth/logout'] button[type=submit]").click()
        expect(page.locator("form[action='/auth/logout']")).to_have_count(0)
    assert not overflow.failures, "pages wider than a phone:\n" + "\n".join(overflow.failures)
    # The media redaction page is reached only by its own flow, on a desktop: not checked here.
    unreached = HTML_PAGES - BEHIND_ACTIONS - set(CHECKED_IN_THEIR_FLOW)
    missing = unreached - overflow.checked
    assert not missing, f"no link reached these pages, so they went unchecked: {sorted(missing)}"


def test_the_evidence_pages_custody_table_stays_inside_its_card_on_a_desktop(
    page, live_server, totp
):
    """At 1280 px the custody timeline of an evidence item, entry hashes and all, fits its card."""
    page.goto(f"{live_server.url}/auth/login")
    sign_in(page, live_server, "lawyer", totp)
    expect(page.locator("form[action='/auth/logout']")).to_be_visible()
    page.goto(investigation_url(live_server, "/evidence"))
    page.locator("main table tbody a[href*='/evidence/']").first.click()
    timeline = page.locator("main table:has(code.hash)")
    expect(timeline.first).to_be_visible()
    outside = page.evaluate(
        "() => [...document.querySelectorAll('main table')].filter(table => {"
        " const card = table.closest('.panel') || document.querySelector('main');"
        " return table.getBoundingClientRect().right > card.getBoundingClientRect().right + 1"
        " || table.scrollWidth > table.clientWidth + 1; }).length"
    )
    assert outside == 0, f"{outside} table(s) run past their card"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280
