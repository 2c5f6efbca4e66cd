"""A web capture in Chromium: its page's script never runs and nothing calls another host."""

from __future__ import annotations

import http.server
import re
import threading

import pytest
from playwright.sync_api import expect

from tests.e2e.actions import checkpoint, sign_in
from tests.e2e.live_server import DEMO_REFERENCE
from tests.webcapture.captures import hostile_capture

pytestmark = pytest.mark.e2e


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self):  # noqa: N802 (the http.server spelling)
        self.seen.append(self.path)
        self.send_response(200)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args):
        return None


@pytest.fixture
def other_host():
    """Another origin (127.0.0.2, inside loopback) that records every request it receives."""
    _Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.2:{server.server_address[1]}", _Recorder.seen
    finally:
        server.shutdown()
        server.server_close()


def test_viewing_a_capture_runs_no_script_and_calls_no_other_host(
    page, live_server, totp, tmp_path, other_host
):
    origin, seen = other_host
    capture = tmp_path / "checkpoint.wacz"
    capture.write_bytes(hostile_capture(origin, url="http://news.example/e2e-checkpoint"))
    sign_in(page, live_server, live_server.account("field", 0), totp)
    page.goto(f"{live_server.url}/investigations/{DEMO_REFERENCE}/evidence/upload")
    page.locator("#files").set_input_files([str(capture)])
    page.locator("#upload-button").click()
    expect(page.locator("#upload-list li").nth(0)).to_have_attribute("data-state", "stored")

    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/investigations/{DEMO_REFERENCE}/evidence?kind=web_capture")
    page.locator("main table tbody tr").first.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/evidence/[0-9a-f-]{8,}$"))
    panel = page.locator("section[aria-labelledby=webcapture-heading]")
    expect(panel).to_contain_text("http://news.example/e2e-checkpoint")
    panel.locator("details summary", has_text="Page text").click()
    expect(panel.locator(".capture-text")).to_contain_text("Soldiers stopped the convoy at dawn.")
    panel.locator("details summary", has_text="sanitised HTML").click()
    expect(panel.locator(".capture-html h1")).to_have_text("Checkpoint closed")
    screenshot = panel.locator(".capture-screenshot img")
    expect(screenshot).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", screenshot.element_handle()) == 40
    checkpoint(page, "web-capture-static-view")
    page.wait_for_timeout(1000)  # time for anything that would fire late

    assert page.title() != "PWNED" and "PWNED" not in page.content()
    assert page.locator(".capture-html script, .capture-html img, .capture-html a").count() == 0
    assert page.locator(".capture-html [onload], .capture-html [onerror]").count() == 0
    assert not [url for url in requested if "127.0.0.2" in url], requested
    assert all(url.startswith(live_server.url) for url in requested), requested
    assert seen == []  # the other host heard nothing
