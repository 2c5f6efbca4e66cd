"""The browser tests' own checks can fail: axe flags a bad page, the guard flags errors."""

from __future__ import annotations

import pytest
from _pytest.outcomes import Failed

from tests.e2e.accessibility import check_accessibility
from tests.e2e.guards import Guard

pytestmark = pytest.mark.e2e


def test_axe_check_fails_on_an_unlabelled_control_and_passes_the_sign_in_page(page, live_server):
    page.goto(f"{live_server.url}/auth/login")
    check_accessibility(page, "sign-in")
    page.evaluate(
        """() => {
            const field = document.createElement("input");
            field.type = "text";  // no label, no title, no aria-label: critical for axe
            document.querySelector("main").appendChild(field);
        }"""
    )
    with pytest.raises(Failed, match=r"label \(critical\)"):
        check_accessibility(page, "sign-in with an unlabelled field")


def test_guard_reports_console_errors_unexpected_answers_and_unmet_expectations(
    browser, live_server
):
    context = browser.new_context(base_url=live_server.url)
    guard = Guard(context)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/auth/login")
        page.evaluate("() => console.error('boom from the page')")
        page.goto(f"{live_server.url}/no-such-page")
        guard.expect(418, r"/never-requested$")
        page.goto(f"{live_server.url}/auth/login")
    finally:
        context.close()
    assert any("console error: boom from the page" in p for p in guard.problems)
    assert any(p.startswith("HTTP 404: GET") for p in guard.problems)
    with pytest.raises(Failed, match=r"never seen: 418"):
        guard.check()


def test_guard_accepts_an_expected_error_answer(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    guard = Guard(context)
    try:
        page = context.new_page()
        with guard.allowing(404, r"/no-such-page$"):
            page.goto(f"{live_server.url}/no-such-page")
    finally:
        context.close()
    guard.check()
