"""The field researcher's flow through the browser, shared by the English and the Arabic test.

`field_flow(page, server, guard, account, media_dir)` opens an incident, registers a witness
with consent, records an interview, uploads a photo and a video through the tus intake page
(cutting the connection mid-video and checking it resumes from the server's offset), attaches
both to the interview and seals it. Selectors use form field names, not label text, so the same
steps run in any interface language; a screenshot and an axe check follow every page.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page, Route, expect

from tests.e2e.actions import checkpoint
from tests.e2e.guards import Guard
from tests.e2e.live_server import DEMO_REFERENCE, LiveServer
from tests.e2e.screens import screenshot
from tests.helpers.media import jpeg_with_exif, make_mp4

CHUNK = 8 * 1024 * 1024  # static/js/upload.js sends 8 MiB PATCHes
CUTS = 2  # PATCHes refused at the second chunk's offset before the network "comes back"


@dataclass
class Media:
    photo: Path
    video: Path

    def sha256(self, path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()


def make_media(directory: Path, tag: str) -> Media:
    """A JPEG with EXIF GPS and a ~9 MiB MP4 (two tus chunks), unique to this run."""
    directory.mkdir(parents=True, exist_ok=True)
    photo = directory / f"market-{tag}.jpg"
    photo.write_bytes(jpeg_with_exif())
    stamp = f"2015-10-{10 + secrets.randbelow(18):02d}T09:{secrets.randbelow(60):02d}:00.000000Z"
    video_bytes = make_mp4(directory, seconds=4, noisy=True, faststart=True, creation_time=stamp)
    assert len(video_bytes) > CHUNK, "the video must span two tus chunks to test resumption"
    video = directory / f"strike-{tag}.mp4"
    video.write_bytes(video_bytes)
    return Media(photo, video)


@dataclass
class Cutter:
    """Aborts the PATCH that carries the second chunk, `CUTS` times, while `cut` is set."""

    cut: bool = True
    aborted: int = 0
    offsets: list[int] = field(default_factory=list)

    def __call__(self, route: Route) -> None:
        request = route.request
        if request.method != "PATCH":
            route.fallback()
            return
        offset = int(request.headers.get("upload-offset", "-1"))
        self.offsets.append(offset)
        if self.cut and offset == CHUNK and self.aborted < CUTS:
            self.aborted += 1
            route.abort("internetdisconnected")
            return
        route.fallback()


def investigation_url(server: LiveServer, path: str = "") -> str:
    return f"{server.url}/investigations/{DEMO_REFERENCE}{path}"


def open_incident(page: Page, server: LiveServer, place: str, day: str = "2015-10-15") -> str:
    page.goto(investigation_url(server, "/incidents/new"))
    checkpoint(page, "incident-form")
    page.locator("input[name=time_certainty][value=day]").check()
    page.locator("input[name=start_date]").fill(day)
    page.locator("input[name=place_name]").fill(place)
    page.locator("input[name=admin_area]").fill("Idlib")
    page.locator("input[name=latitude]").fill("35.9306")
    page.locator("input[name=longitude]").fill("36.6339")
    page.locator("select[name=weapon_code]").select_option(index=1)
    page.locator("input[name=target_codes]").first.check()
    page.locator("textarea[name=description]").fill("Strike on the market at midday (e2e test).")
    page.locator(".form-actions button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/incidents/[0-9a-f-]{8,}$"))
    expect(page.locator("main")).to_contain_text(place)
    checkpoint(page, "incident-saved")
    return page.url.rsplit("/", 1)[1]


def register_witness(page: Page, server: LiveServer) -> str:
    page.goto(investigation_url(server, "/witnesses/new"))
    checkpoint(page, "witness-form")
    page.locator("select[name=risk_level]").select_option(index=1)
    page.locator("input[name=full_name]").fill("Test Witness E2E")
    page.locator("input[name=consent_interview]").check()
    page.locator("input[name=consent_legal_proceedings]").check()
    page.locator("input[name=consent_language]").fill("Arabic")
    page.locator(".form-actions button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/witnesses/[0-9a-f-]{8,}$"))
    heading = page.locator("main h1").inner_text()
    code = re.search(r"W-\d{4}", heading)
    assert code, f"no witness code in {heading!r}"
    checkpoint(page, "witness-registered")
    return code.group(0)


def record_interview(page: Page, server: LiveServer, witness_code: str, incident_id: str) -> str:
    page.goto(investigation_url(server, "/interviews/new"))
    checkpoint(page, "interview-form")
    page.locator("select[name=witness_id]").select_option(label=witness_code)
    page.locator(f"input[name=incident_ids][value='{incident_id}']").check()
    page.locator("input[name=place]").fill("Reyhanli")
    page.locator("select[name=languages]").select_option("ar")
    page.locator("input[name=interpreter_present][value=no]").check()
    page.locator("textarea[name=transcript]").fill(
        "I was at the market when the first bomb fell. (e2e test transcript)"
    )
    page.locator("input[name=save]").click()
    expect(page).to_have_url(re.compile(r"/interviews/[0-9a-f-]{8,}$"))
    checkpoint(page, "interview-draft")
    return page.url


def upload_with_cut(page: Page, guard: Guard, media: Media) -> None:
    """Upload both files through the tus page; the video's second chunk is cut, then resumes."""
    page.locator("a[href*='/evidence/upload']").first.click()
    expect(page.locator("#upload-form")).to_be_visible()
    checkpoint(page, "upload-page")
    cutter = Cutter()
    guard.expect(0, r"/uploads/[^/]+$", method="PATCH")
    page.route(re.compile(r"/uploads/[^/?]+$"), cutter)
    page.locator("#files").set_input_files([str(media.photo), str(media.video)])
    page.locator("#upload-button").click()
    bars = page.locator("#upload-list progress")
    expect(bars).to_have_count(2)
    expect(page.locator("#upload-progress")).to_be_visible()
    # The cut: the video's row says the connection was lost; its bar holds the first chunk.
    video_row = page.locator("#upload-list li").nth(1)
    expect(video_row).to_have_attribute("data-state", "retrying")
    assert int(bars.nth(1).evaluate("b => b.value")) >= CHUNK
    screenshot(page, "upload-connection-lost")
    cutter.cut = False
    expect(video_row).to_have_attribute("data-state", "stored", timeout=60_000)
    expect(page.locator("#upload-list li").nth(0)).to_have_attribute("data-state", "stored")
    size = media.video.stat().st_size
    assert int(bars.nth(1).evaluate("b => b.value")) == size
    page.unroute(re.compile(r"/uploads/[^/?]+$"), cutter)
    checkpoint(page, "upload-done")
    assert cutter.aborted >= 1
    # Resumed where it broke off: after the cut the next PATCHes start at the server's offset,
    # never from zero again.
    video_offsets = cutter.offsets[1:]
    assert video_offsets[0] == 0 and set(video_offsets[1:]) == {CHUNK}, cutter.offsets


def check_stored_once(page: Page, server: LiveServer, media: Media) -> None:
    """Each file appears once in the evidence list, and its page shows the right SHA-256.

    The uploader has no identity grant, so the list names items neutrally (file names are
    identity, docs/security.md) and shows the SHA-256 prefix their receipt gave them.
    """
    page.goto(investigation_url(server, "/evidence"))
    checkpoint(page, "evidence-list")
    for path in (media.photo, media.video):
        expect(page.locator("main table", has_text=path.name)).to_have_count(0)
        rows = page.locator("main table tbody tr", has_text=media.sha256(path)[:12])
        expect(rows).to_have_count(1)
    page.locator("main table tbody tr", has_text=media.sha256(media.video)[:12]).locator(
        "a"
    ).click()
    expect(page.locator("main")).to_contain_text(media.sha256(media.video))
    checkpoint(page, "video-item")


def pick(form: Locator, sha256: str) -> None:
    """Tick the upload with this SHA-256 (its receipt's prefix) among the interview's uploads
    to attach; none is ticked before (names are neutral without the identity grant)."""
    expect(form.locator("input[name=evidence_id]:checked")).to_have_count(0)
    choice = form.locator("label.choice", has_text=sha256[:12])
    choice.locator("input[name=evidence_id]").check()


def attach_and_seal(page: Page, interview_url: str, media: Media) -> None:
    page.goto(interview_url)
    attach = page.locator("form[action$='/evidence']")
    pick(attach, media.sha256(media.video))
    attach.locator("input[name=role][value=recording]").check()
    attach.locator("button[type=submit]").click()
    expect(page.locator("main")).to_contain_text(media.sha256(media.video))
    attach = page.locator("form[action$='/evidence']")
    pick(attach, media.sha256(media.photo))
    attach.locator("input[name=role][value=attachment]").check()
    attach.locator("button[type=submit]").click()
    expect(page.locator("main")).to_contain_text(media.sha256(media.photo))
    checkpoint(page, "interview-files-attached")
    page.locator("a[href$='/seal']").click()
    expect(page.locator("input[name=confirm]")).to_be_visible()
    checkpoint(page, "seal-review")
    page.locator("input[name=confirm]").check()
    page.locator("form[action$='/seal'] button[type=submit]").click()
    expect(page).to_have_url(interview_url)
    expect(page.locator(".tag-sealed")).to_be_visible()
    expect(page.locator("section.sealed code.hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    checkpoint(page, "interview-sealed")


def field_flow(
    page: Page, server: LiveServer, guard: Guard, media: Media, place: str, day: str = "2015-10-15"
) -> None:
    """`day`: each flow's own, a few days from any other at the same point, so that no flow's
    incident looks like another's (app/intake/services/similar_incidents.py)."""
    page.goto(investigation_url(server))
    checkpoint(page, "investigation-overview")
    incident_id = open_incident(page, server, place, day)
    witness_code = register_witness(page, server)
    interview_url = record_interview(page, server, witness_code, incident_id)
    upload_with_cut(page, guard, media)
    check_stored_once(page, server, media)
    attach_and_seal(page, interview_url, media)
