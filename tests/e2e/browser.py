"""Debian's Chromium for the browser tests: its path, flags, and launching it through Playwright.

API: `CHROMIUM` (the executable path), `CHROMIUM_ARGS`, `require_chromium()` (fails under
CI=true, skips elsewhere, when Chromium is missing), `launch(playwright)` (a headless Browser).
Never `playwright install`: the browser is the Debian package installed by `make system-deps`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    """Chromium must exist; in CI its absence fails the run instead of skipping the suite."""
    if CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK):
        return
    message = f"{CHROMIUM} is missing: install Debian's chromium (make system-deps)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
