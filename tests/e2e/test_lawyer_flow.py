"""Lawyer in Chromium: TOTP sign-in, grading and linking, a video seek, approval, bag export."""

from __future__ import annotations

import re
import subprocess
import tarfile

import pytest
from playwright.sync_api import Page, Response, expect

from tests.e2e.actions import checkpoint, sign_in
from tests.e2e.guards import Guard
from tests.e2e.live_server import DEMO_REFERENCE, LiveServer
from tests.helpers.media import require_tool

pytestmark = pytest.mark.e2e


def open_case_file(page: Page, server: LiveServer, title_part: str) -> None:
    page.goto(f"{server.url}/investigations/{DEMO_REFERENCE}/cases/")
    checkpoint(page, "case-files")
    row = page.locator("main table tbody tr", has_text=title_part)
    row.locator("a").first.click()
    expect(page.locator("main h1")).to_contain_text(title_part)


def grade_and_link_an_item(page: Page) -> None:
    # An evidence item of the lawyer's own draft case file that nobody has graded yet (the
    # demo grades its photo, not its video).
    row = page.locator("main table tbody tr", has_text="evidence").filter(has_text="Video")
    row.first.locator("a").first.click()
    expect(page.locator("form[action$='/assessments']")).to_be_visible()
    checkpoint(page, "case-item")

    grade = page.locator("form[action$='/assessments']")
    expect(grade.locator("select[name=reliability]")).to_have_value("")  # nothing preselected
    expect(grade.locator("select[name=credibility]")).to_have_value("")
    grade.locator("select[name=reliability]").select_option("B")
    grade.locator("select[name=credibility]").select_option("2")
    grade.locator("textarea[name=rationale]").fill("Consistent with two other sources (e2e).")
    grade.locator("button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Consistent with two other sources (e2e).")
    expect(page.locator("main")).to_contain_text("B2")
    grade = page.locator("form[action$='/assessments']")
    expect(grade.locator("select[name=reliability]")).to_have_value("B")  # the grade on record
    expect(grade.locator("select[name=credibility]")).to_have_value("2")

    link = page.locator("form[action$='/links']")
    element = link.locator("select[name=element]")
    chosen = element.locator("option:not([value=''])").nth(1)
    chosen_label = chosen.inner_text()
    element.select_option(chosen.get_attribute("value"))
    link.locator("input[name=stance][value=supporting]").check()
    link.locator("textarea[name=note], input[name=note]").fill("Shows the hospital marking (e2e).")
    link.locator("button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Shows the hospital marking (e2e).")
    code = re.search(r"8\(2\)\(b\)\([ivx]+\)", chosen_label)
    assert code, chosen_label
    expect(page.locator("main")).to_contain_text(code.group(0))
    checkpoint(page, "case-item-graded-and-linked")


def watch_a_video_from_the_middle(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/investigations/{DEMO_REFERENCE}/evidence")
    row = page.locator("main table tbody tr", has_text="video").first
    row.locator("a").first.click()
    video = page.locator("video")
    expect(video).to_be_visible()
    checkpoint(page, "video-page")

    streamed: list[Response] = []
    page.on("response", lambda r: streamed.append(r) if "/stream" in r.url else None)
    duration = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const video = document.querySelector("video");
            video.addEventListener("loadedmetadata", () => resolve(video.duration), {once: true});
            video.addEventListener("error", () => reject(new Error("video error")), {once: true});
            video.muted = true;
            video.load();
        })"""
    )
    assert duration > 0
    position = page.evaluate(
        """(middle) => new Promise((resolve) => {
            const video = document.querySelector("video");
            video.addEventListener("seeked", () => resolve(video.currentTime), {once: true});
            video.currentTime = middle;
        })""",
        duration / 2,
    )
    assert abs(position - duration / 2) < 1.0
    page.evaluate(
        """() => new Promise((resolve) => {
            const video = document.querySelector("video");
            video.addEventListener("timeupdate", () => resolve(), {once: true});
            video.play();
        })"""
    )
    page.evaluate("() => document.querySelector('video').pause()")
    ranged = [r for r in streamed if r.status == 206]
    assert ranged, [(r.status, r.url) for r in streamed]
    assert all(re.match(r"bytes \d+-\d+/\d+$", r.headers["content-range"]) for r in ranged)
    assert all(r.request.headers.get("range", "").startswith("bytes=") for r in ranged)
    checkpoint(page, "video-seeked")


def approve_colleagues_case_file(page: Page, server: LiveServer) -> None:
    open_case_file(page, server, "Cluster munitions")
    expect(page.locator(".badge")).to_have_text("In review")
    checkpoint(page, "colleague-case-file")
    page.locator("input[name=to_status][value=approved]").check()
    page.locator("textarea[name=comment]").fill("Reviewed every item; approved for referral (e2e).")
    gaps = page.locator("#unsupported-elements")
    if gaps.count():  # the demo file may have elements that nothing supports: read, then confirm
        expect(gaps).to_contain_text("have no supporting evidence")
        page.locator("input[name=confirm_unsupported]").check()
    page.locator("form[action$='/transition'] button[type=submit]").click()
    expect(page.locator(".badge").first).to_have_text("Approved for referral")
    expect(page.locator("main")).to_contain_text("approved for referral (e2e)")
    checkpoint(page, "colleague-case-file-approved")


def export_and_download_the_bag(page: Page, guard: Guard, tmp_path) -> None:
    keygen, age = require_tool("age-keygen"), require_tool("age")
    identity = tmp_path / "recipient.key"
    subprocess.run([keygen, "-o", str(identity)], check=True, capture_output=True)
    recipient = re.search(r"age1[0-9a-z]+", identity.read_text()).group(0)

    page.locator("a.button[href$='/export']").click()
    expect(page.locator("input[name=for_whom]")).to_be_visible()
    checkpoint(page, "export-form")
    page.locator("input[name=files][value=originals]").check()
    page.locator("input[name=for_whom]").fill("Prosecutor's office (e2e)")
    page.locator("input[name=unencrypted_reason]").fill("Technician on site")
    page.locator("select[name=access_reason]").select_option("legal_proceedings")
    page.locator("input[name=recipient]").fill(recipient)
    page.locator("main form button[type=submit]").click()

    expect(page.locator("#job-progress")).to_be_visible()
    checkpoint(page, "export-progress")
    expect(page.locator("#job-download")).to_be_visible(timeout=120_000)
    assert page.locator("#job-progress").evaluate("b => b.value") == 100
    checkpoint(page, "export-ready")
    # Chromium turns the navigation into a download and reports the navigation as aborted.
    guard.expect(0, r"/exports/[^/]+/download$", method="GET")
    with page.expect_download() as info:
        page.locator("#job-download-link").click()
    download = info.value
    assert download.suggested_filename.endswith(".tar.age"), download.suggested_filename
    bag = tmp_path / download.suggested_filename
    download.save_as(bag)
    assert bag.read_bytes().startswith(b"age-encryption.org/v1\n")
    tar_path = tmp_path / "bag.tar"
    subprocess.run([age, "-d", "-i", str(identity), "-o", str(tar_path), str(bag)], check=True)
    with tarfile.open(tar_path) as tar:
        names = tar.getnames()
    assert any(name.endswith("bagit.txt") for name in names), names[:20]
    assert any("manifest-sha256.txt" in name for name in names), names[:20]


def test_lawyer_reviews_grades_watches_approves_and_exports(
    page, guard, live_server, totp, tmp_path
):
    sign_in(page, live_server, live_server.account("lawyer", 0), totp)
    open_case_file(page, live_server, "Strikes on hospitals")
    checkpoint(page, "own-case-file")
    grade_and_link_an_item(page)
    watch_a_video_from_the_middle(page, live_server)
    approve_colleagues_case_file(page, live_server)
    export_and_download_the_bag(page, guard, tmp_path)
