"""Full-page screenshots of the browser tests, saved under tests/e2e/screenshots/ (git-ignored).

API: `screenshot(page, name)` saves `screenshots/<test name>/<NN>-<name>.png` and returns the
path; the test name comes from PYTEST_CURRENT_TEST and NN counts up within the test.
"""

from __future__ import annotations

import os
import re
from itertools import count
from pathlib import Path

from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
_counters: dict[str, count] = {}


def _test_name() -> str:
    current = os.environ.get("PYTEST_CURRENT_TEST", "unknown").split(" ")[0]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", current.split("::")[-1])


def screenshot(page: Page, name: str) -> Path:
    test = _test_name()
    number = next(_counters.setdefault(test, count(1)))
    path = SCREENSHOTS / test / f"{number:02d}-{re.sub(r'[^A-Za-z0-9_-]+', '-', name)}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
