"""Lawyer in Chromium redacts a video by keyboard: typed box and span, preview, save, job done."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.actions import checkpoint, sign_in
from tests.e2e.test_lawyer_flow import open_case_file

pytestmark = pytest.mark.e2e


def test_lawyer_redacts_a_video_with_the_keyboard(page, guard, live_server, totp):
    sign_in(page, live_server, live_server.account("lawyer", 0), totp)
    open_case_file(page, live_server, "Strikes on hospitals")
    row = page.locator("main table tbody tr", has_text="evidence").filter(has_text="Video")
    row.first.locator("a").first.click()
    page.get_by_role("link", name="Make a redacted copy").click()
    checkpoint(page, "redact-media")

    # A refusal first: a box with no size is summarised at the top, and focus goes there.
    page.get_by_label("Left edge, % of the width (box 1)").focus()
    page.keyboard.type("10")
    with guard.allowing(400, "/redact-media", "POST"):
        page.keyboard.press("Enter")
        summary = page.locator(".error-summary")
        expect(summary).to_contain_text("Box 1: give its left edge, top edge, width and height.")
        expect(summary).to_be_focused()

    for label, value in (
        ("Top edge, % of the height (box 1)", "10"),
        ("Width, % of the picture (box 1)", "30"),
        ("Height, % of the picture (box 1)", "30"),
        ("From second (box 1)", "0"),
        ("To second (box 1)", "1"),
    ):
        page.get_by_label(label).focus()
        page.keyboard.type(value)
    page.get_by_role("button", name="Preview what will be removed").focus()
    page.keyboard.press("Enter")
    preview = page.locator("#redaction-preview img")
    expect(preview).to_have_count(1)
    width = preview.evaluate(
        "img => img.complete ? img.naturalWidth"
        " : new Promise(r => img.onload = () => r(img.naturalWidth))"
    )
    assert width > 0
    checkpoint(page, "redact-media-preview")

    page.get_by_role("button", name="Save redacted copy").focus()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text("The redacted copy is being made")
    for _ in range(120):
        if page.locator("main table", has_text="Asked at").get_by_text("done").count():
            break
        page.wait_for_timeout(1000)
        page.get_by_role("link", name="Check again").click()
    expect(page.locator("main table", has_text="Asked at")).to_contain_text("done")
