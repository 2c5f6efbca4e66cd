"""Two lawyers in Chromium: the demo's Arabic testimony beside its sealed English translation;
one lawyer drafts a French translation, cannot seal it, and the other revises and seals it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.actions import checkpoint, sign_in
from tests.e2e.live_server import DEMO_REFERENCE

pytestmark = pytest.mark.e2e

FRENCH = "Je suis infirmière à l'hôpital chirurgical (traduction fictive)."


def open_nurse_testimony(page, live_server) -> None:
    page.goto(f"{live_server.url}/investigations/{DEMO_REFERENCE}/interviews")
    page.locator("main table tbody tr", has_text="Al-Latamneh").first.locator("a").first.click()
    expect(page.locator("#translations")).to_contain_text("sealed")


def test_a_translation_is_drafted_by_one_lawyer_and_sealed_by_another(page, live_server, totp):
    translator, reviser = live_server.account("lawyer", 1), live_server.account("lawyer", 0)
    sign_in(page, live_server, translator, totp)
    open_nurse_testimony(page, live_server)
    page.locator("#translations a", has_text="→").first.click()
    original = page.locator("section.original .transcript")
    expect(original).to_have_attribute("dir", "auto")
    expect(original).to_contain_text("المبنى")
    expect(page.locator("section.translated")).to_contain_text("I am a nurse")
    # The original comes first on the page, and so on the start side (right in Arabic).
    first = page.locator(".side-by-side > section").first
    expect(first).to_have_class("panel original")
    checkpoint(page, "translation")

    page.get_by_role("link", name="Back to the testimony").click()
    page.get_by_role("link", name="Translate the testimony").click()
    page.get_by_label("Into").select_option("fr")
    page.get_by_label("Translation", exact=True).fill(FRENCH)
    checkpoint(page, "translation-new")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator("main")).to_contain_text("draft, not revised")
    # The translator is not offered the seal: a second person revises.
    expect(page.get_by_role("button", name="Seal the translation")).to_have_count(0)
    draft_url = page.url
    page.get_by_role("link", name="Continue editing").click()
    checkpoint(page, "translation-edit")

    page.context.clear_cookies()
    sign_in(page, live_server, reviser, totp)
    page.goto(draft_url)
    page.get_by_label("I have compared this translation with the original.", exact=False).check()
    page.get_by_role("button", name="Seal the translation").click()
    expect(page.locator("main")).to_contain_text("Translation sealed.")
    expect(page.locator("main")).to_contain_text(FRENCH)
