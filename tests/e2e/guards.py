"""Fail a browser test on any console error, failed request or unexpected HTTP error answer.

API: `Guard(context)` listens on a BrowserContext (every page it opens). `guard.expect(status,
url_part, method=None)` declares an intentional error answer (or a `status=0` failed request,
e.g. during the offline simulation); `with guard.allowing(...)` does the same for a block only.
`guard.problems` lists what went wrong; `guard.check()` fails the test on any (conftest calls it
after each test). Every expectation must be met at least once (`check` fails otherwise) unless
declared with `optional=True`. A GET of an image or media the browser itself cancels
(net::ERR_ABORTED: leaving a page, seeking a video) is not a failure.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request, Response


@dataclass
class Expected:
    status: int  # 0 means a failed request (requestfailed: aborted, offline, reset)
    url_part: str
    method: str | None = None
    optional: bool = False
    seen: int = 0
    active: bool = True

    def matches(self, status: int, url: str, method: str) -> bool:
        return (
            self.active
            and self.status == status
            and re.search(self.url_part, url) is not None
            and (self.method is None or self.method == method)
        )


# The site's own files (scripts at the end of every page, the icon): leaving a page before they
# arrived cancels them. A missing or broken one answers with a status, judged by _on_response.
STATIC_PATH = "/static/"


class Guard:
    def __init__(self, context: BrowserContext) -> None:
        self.problems: list[str] = []
        self.expected: list[Expected] = []
        context.on("page", self._watch_page)
        context.on("requestfailed", self._on_request_failed)
        context.on("response", self._on_response)

    def _watch_page(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    @staticmethod
    def _cancelled_by_browser(request: Request) -> bool:
        """A request the browser itself dropped, not a failure of the app.

        Leaving a page cancels its pending images (lazy thumbnails) and static files, and a
        media element cancels its running range request when it seeks; all show as
        net::ERR_ABORTED. A failing one answers with a status instead, which `_on_response`
        judges.
        """
        return (
            request.failure == "net::ERR_ABORTED"
            and request.method == "GET"
            and (
                request.resource_type in ("image", "media")
                or urlsplit(request.url).path.startswith(STATIC_PATH)
            )
        )

    def expect(self, status: int, url_part: str, method: str | None = None, optional=False):
        expectation = Expected(status, url_part, method, optional)
        self.expected.append(expectation)
        return expectation

    @contextlib.contextmanager
    def allowing(self, status: int, url_part: str, method: str | None = None, optional=False):
        expectation = self.expect(status, url_part, method, optional)
        try:
            yield expectation
        finally:
            expectation.active = False

    def _allowed(self, status: int, url: str, method: str) -> bool:
        for expectation in self.expected:
            if expectation.matches(status, url, method):
                expectation.seen += 1
                return True
        return False

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        text = message.text
        # Chromium reports every 4xx/5xx answer on the console too; those are judged (and
        # allowed when expected) by _on_response, not twice here.
        if text.startswith("Failed to load resource:"):
            return
        self.problems.append(f"console error: {text} ({message.location.get('url', '')})")

    def _on_request_failed(self, request: Request) -> None:
        if self._cancelled_by_browser(request):
            return
        if not self._allowed(0, request.url, request.method):
            self.problems.append(
                f"request failed: {request.method} {request.url} ({request.failure})"
            )

    def _on_response(self, response: Response) -> None:
        if response.status < 400:
            return
        request = response.request
        if not self._allowed(response.status, response.url, request.method):
            self.problems.append(f"HTTP {response.status}: {request.method} {response.url}")

    def check(self) -> None:
        unmet = [e for e in self.expected if not e.optional and e.seen == 0]
        problems = list(self.problems)
        problems += [f"never seen: {e.status} {e.method or ''} {e.url_part}" for e in unmet]
        if problems:
            listing = "\n".join(f"- {p}" for p in problems)
            pytest.fail(f"browser problems:\n{listing}", pytrace=False)
