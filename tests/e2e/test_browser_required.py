"""Without Debian's Chromium the browser tests fail in CI (CI=true) and skip only elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from _pytest.outcomes import Failed, Skipped

from tests.e2e import browser

pytestmark = [pytest.mark.e2e, pytest.mark.nodb]


def test_missing_chromium_fails_in_ci_and_skips_elsewhere(monkeypatch, tmp_path):
    monkeypatch.setattr(browser, "CHROMIUM", Path(tmp_path / "no-chromium"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(Failed, match="make system-deps"):
        browser.require_chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(Skipped):
        browser.require_chromium()
