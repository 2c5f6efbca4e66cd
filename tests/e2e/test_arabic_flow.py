"""The field flow in the Arabic interface: the language switch, right-to-left layout, same steps."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.actions import checkpoint, sign_in
from tests.e2e.field_steps import field_flow, make_media

pytestmark = pytest.mark.e2e


def test_field_flow_in_arabic_is_right_to_left(page, guard, live_server, totp, tmp_path):
    media = make_media(tmp_path, "ar")
    sign_in(page, live_server, live_server.account("field", 1), totp)
    page.goto(f"{live_server.url}/auth/settings")
    checkpoint(page, "settings-en")
    page.locator("select[name=language]").select_option("ar")
    page.locator("form[action$='/settings/language'] button[type=submit]").click()

    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.locator("main h1")).to_have_text("الإعدادات")
    checkpoint(page, "settings-ar")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    # Right to left on screen: the brand sits at the right end of the header, the menu left of
    # it, and the main heading starts from the right edge of the content column.
    brand = page.locator(".site-header .brand").bounding_box()
    nav = page.locator(".site-header .main-nav").bounding_box()
    assert brand["x"] > nav["x"] + nav["width"] - 1, (brand, nav)
    left_gap, right_gap = page.evaluate(
        """() => {
            const range = document.createRange();
            range.selectNodeContents(document.querySelector("main h1"));
            const text = range.getBoundingClientRect();
            const main = document.querySelector("main").getBoundingClientRect();
            return [text.left - main.left, main.right - text.right];
        }"""
    )
    assert right_gap < left_gap, (left_gap, right_gap)

    field_flow(
        page, live_server, guard, media, place="Maarat al-Numan market (e2e ar)", day="2015-10-11"
    )
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
