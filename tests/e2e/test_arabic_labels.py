"""Issue 21, done when: a reader who chose Arabic sees weapon, target and legal-element labels in
Arabic — in Chromium, choosing Arabic (and reading languages) on the settings page, then reading
the incident list and a case file's matrix, both checked with axe."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from tests.e2e.actions import checkpoint, sign_in
from tests.e2e.live_server import DEMO_REFERENCE

pytestmark = pytest.mark.e2e

TAXONOMY = Path(__file__).resolve().parents[2] / "app" / "taxonomy"
ARABIC_DIRECTED = "وجّه مرتكب الجريمة هجوماً."  # 8(2)(b)(i) el. 1, shipped in the framework


def shipped(name: str, key: str) -> list[dict]:
    return yaml.safe_load((TAXONOMY / name).read_text(encoding="utf-8"))[key]


def test_a_reader_who_chose_arabic_sees_weapon_target_and_element_labels_in_arabic(
    page, live_server, totp
):
    # The second lawyer: no other browser test signs in as them, and their language is put back.
    sign_in(page, live_server, live_server.account("lawyer", 1), totp)
    settings = f"{live_server.url}/auth/settings"
    page.goto(settings)
    page.locator("select[name=language]").select_option("ar")
    page.locator("select[name=reading_languages]").select_option(["ar", "en"])
    page.locator("form[action$='/settings/language'] button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    try:
        base = f"{live_server.url}/investigations/{DEMO_REFERENCE}"
        page.goto(f"{base}/incidents")
        checkpoint(page, "ar-labels-incidents")
        weapons = page.locator("td[data-label='السلاح']").all_inner_texts()
        targets = page.locator("td[data-label='الهدف'] .tag").all_inner_texts()
        arabic_weapons = {w["label_ar"] for w in shipped("weapons.yaml", "weapons")}
        arabic_targets = {t["label_ar"] for t in shipped("targets.yaml", "targets")}
        assert weapons and set(weapons) - {"—"} <= arabic_weapons, weapons
        assert targets and {t for t in targets if ":" not in t} <= arabic_targets, targets

        page.goto(f"{base}/cases/")
        page.locator("main table tbody tr a").first.click()
        page.wait_for_load_state("load")
        page.goto(page.url.split("?")[0].rstrip("/") + "/matrix")
        checkpoint(page, "ar-labels-matrix")
        headers = page.locator("table.matrix th[scope=row]").all_inner_texts()
        assert any(ARABIC_DIRECTED in header for header in headers), headers
        english = [h for h in headers if "The perpetrator" in h or "Nexus" in h]
        assert not english, english
        expect(page.locator("main h2", has_text="تعمد توجيه هجمات").first).to_be_visible()
    finally:
        page.goto(settings)
        page.locator("select[name=language]").select_option("en")
        page.locator("select[name=reading_languages]").select_option([])
        page.locator("form[action$='/settings/language'] button[type=submit]").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
