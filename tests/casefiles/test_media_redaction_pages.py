"""The redaction page for videos, recordings and PDFs: typed boxes and spans, a preview made
in memory, refusals that say why and store nothing, and the copy made by a background job."""

from __future__ import annotations

import io
import re
import time

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.jobs.models import Job
from app.vault.models import Derivative
from tests.casefiles.test_media_redaction import add_evidence, document, tone
from tests.helpers.media import make_mp4
from tests.helpers.web import post_form

WIDTH, HEIGHT = 320, 240
# Box 1 over pixels 80..160 x 60..120, from 1 s to 2 s.
BOX_1 = {"box1_x": "25", "box1_y": "25", "box1_w": "25", "box1_h": "25"}


def page_url(world, case_item) -> str:
    return (
        f"/investigations/{world.investigation.reference}/cases/{world.casefile.reference}"
        f"/items/{case_item.id}/redact-media"
    )


def added(world, name: str, data: bytes):
    """The evidence item, added to the case file, and its case-file item."""
    item = add_evidence(world, name, data)
    (case_item,) = [ci for ci in world.casefile.items if ci.item_id == item.id]
    return item, case_item


def counts() -> tuple[int, int]:
    derivatives = db.session.scalar(select(func.count()).select_from(Derivative))
    return derivatives, db.session.scalar(select(func.count()).select_from(Job))


def wait_until_finished(timeout: float = 180.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        job = db.session.scalars(select(Job).where(Job.kind == "media_redaction")).one()
        if job.finished:
            return job
        time.sleep(0.3)
    raise AssertionError("the redaction job did not finish")


def preview_urls(html: str) -> list[str]:
    return [
        url.replace("&amp;", "&")
        for url in re.findall(r'src="([^"]*redact-media/preview[^"]*)"', html)
    ]


def test_a_video_is_previewed_then_redacted_by_a_job(app, built_case, signed_in, tmp_path):
    world = built_case
    video, case_item = added(world, "clip.mp4", make_mp4(tmp_path, seconds=3.0))
    client = signed_in(world.author)
    url = page_url(world, case_item)
    item_page = client.get(url.removesuffix("/redact-media")).get_data(as_text=True)
    assert f'href="{url}"' in item_page  # the item offers the page
    page = client.get(url).get_data(as_text=True)
    # Every box field has a visible label tied to it, for a keyboard and a screen reader.
    assert '<label for="box1_x">Left edge, % of the width (box 1)</label>' in page
    assert '<label for="mute1_start">' in page
    form = {**BOX_1, "box1_start": "1", "box1_end": "2", "mute1_start": "0.5"}
    form |= {"mute1_end": "1.25", "sound": "bleep", "box1_style": "black", "preview": "1"}
    before = counts()
    shown = post_form(client, url, form, page=url)
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert "What will be removed" in html and "0.75" in html  # the muted span's duration
    assert counts() == before  # a preview stores nothing and queues nothing
    (still,) = preview_urls(html)
    picture = client.get(still)
    assert picture.status_code == 200 and picture.mimetype == "image/jpeg"
    assert picture.headers["Cache-Control"] == "no-store"
    assert picture.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    frame = Image.open(io.BytesIO(picture.get_data())).convert("L")
    assert frame.size == (WIDTH, HEIGHT)
    assert frame.crop((84, 64, 156, 116)).getextrema()[1] < 40  # the box, black
    assert frame.crop((0, 130, WIDTH, HEIGHT)).getextrema()[1] > 100  # the picture around it

    saved = post_form(client, url, {**form, "save": "1"} | {"preview": ""}, page=url)
    assert saved.status_code == 302
    job = wait_until_finished()
    assert job.state == "done", job.message
    db.session.expire_all()
    copy = db.session.scalars(select(Derivative).where(Derivative.evidence_id == video.id)).all()
    assert [d.kind for d in copy if d.kind == "redacted"] == ["redacted"]
    assert "done" in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"mute1_start": "2.5", "mute1_end": "4"}, "ends after the file does"),
        ({**BOX_1, "box1_start": "1", "box1_end": "9"}, "ends after the file does"),
        ({}, "nothing would be removed"),
        ({"box1_x": "10", "box1_y": "10"}, "Box 1: give its left edge, top edge, width and height"),
        ({"box1_x": "90", "box1_y": "0", "box1_w": "20", "box1_h": "5"}, "outside the picture"),
        ({"mute1_start": "2", "mute1_end": "1"}, "ends after it starts"),
        ({**BOX_1, "box1_start": "1"}, "Box 1: give both a start and an end"),
        ({"box2_start": "1", "box2_end": "2"}, "Box 2 has times but no position"),
        ({"box1_w": "150"}, "Number must be between 0 and 100"),
        ({"mute1_start": "soon", "mute1_end": "1"}, "Not a valid decimal value"),
        ({"mute1_start": "NaN", "mute1_end": "1"}, "Give a number."),
        ({**BOX_1, "box1_x": "Infinity"}, "Give a number."),
    ],
)
@pytest.mark.parametrize("button", ["preview", "save"])
def test_bad_boxes_and_spans_are_refused_with_a_reason_and_store_nothing(
    built_case, signed_in, tmp_path, form, message, button
):
    world = built_case
    _, case_item = added(world, "clip.mp4", make_mp4(tmp_path, seconds=3.0))
    client = signed_in(world.author)
    url = page_url(world, case_item)
    before = counts()
    refused = post_form(client, url, {**form, button: "1"}, page=url)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert message in html
    assert 'class="flashes error-summary" role="alert"' in html  # summarised, focused on load
    assert counts() == before


def test_a_recording_lists_its_muted_spans_and_offers_no_boxes(built_case, signed_in, tmp_path):
    world = built_case
    _, case_item = added(world, "voice.m4a", tone(tmp_path))
    client = signed_in(world.author)
    url = page_url(world, case_item)
    assert 'id="box1_x"' not in client.get(url).get_data(as_text=True)
    form = {"mute1_start": "1", "mute1_end": "1.5", "mute2_start": "0", "mute2_end": "0.25"}
    html = post_form(client, url, {**form, "preview": "1"}, page=url).get_data(as_text=True)
    rows = re.findall(r"<tr><td>([\d.]+)</td><td>([\d.]+)</td><td>([\d.]+)</td></tr>", html)
    assert rows == [("0.0", "0.25", "0.25"), ("1.0", "1.5", "0.5")]
    assert preview_urls(html) == []
    assert client.get(url + "/preview?at=0").status_code == 404  # no picture to show


def test_a_pdf_page_is_previewed_with_its_area_then_redacted(built_case, signed_in):
    world = built_case
    pdf, case_item = added(world, "statement.pdf", document("Samira Haddad"))
    client = signed_in(world.author)
    url = page_url(world, case_item)
    area = {"area1_page": "1", "area1_x": "0", "area1_y": "0", "area1_w": "100", "area1_h": "12"}
    beyond = post_form(client, url, {**area, "area1_page": "3", "preview": "1"}, page=url)
    assert beyond.status_code == 400
    assert "Page 3 does not exist: the document has 2 pages." in beyond.get_data(as_text=True)
    huge = post_form(client, url, {**area, "area1_page": "2" * 30, "preview": "1"}, page=url)
    assert "Pages are numbered from 1 to 100000." in huge.get_data(as_text=True)
    html = post_form(client, url, {**area, "preview": "1"}, page=url).get_data(as_text=True)
    (page,) = preview_urls(html)
    picture = Image.open(io.BytesIO(client.get(page).get_data())).convert("L")
    width, height = picture.size
    assert picture.crop((2, 2, width - 2, int(height * 0.11))).getextrema()[1] < 40
    assert picture.crop((0, int(height * 0.2), width, height)).getextrema()[1] > 200
    assert post_form(client, url, {**area, "save": "1"}, page=url).status_code == 302
    assert wait_until_finished().state == "done"
    db.session.expire_all()
    kinds = db.session.scalars(select(Derivative.kind).where(Derivative.evidence_id == pdf.id))
    assert "redacted" in list(kinds)


def test_a_photo_or_an_incident_is_not_redacted_here(built_case, signed_in):
    world = built_case
    client = signed_in(world.author)
    for name in ("photo", "incident"):
        response = client.get(page_url(world, world.items[name]))
        assert response.status_code == 302
    preview = client.get(page_url(world, world.items["photo"]) + "/preview?at=0")
    assert preview.status_code == 302 and preview.mimetype != "image/jpeg"


def test_a_copy_asked_by_an_account_since_deactivated_fails_with_a_reason(built_case, tmp_path):
    """The job re-checks who asked: a deactivated account's copy is not made, and says why."""
    from app.casefiles.services.redaction_jobs import run_redaction_job
    from app.jobs.handle import JobFailed, JobHandle

    world = built_case
    video, case_item = added(world, "clip.mp4", make_mp4(tmp_path, seconds=1.0))
    payload = {
        "casefile_id": world.casefile.id,
        "case_item_id": case_item.id,
        "evidence_id": video.id,
        "user_id": world.author.id,
        "redaction": {"regions": [{"x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2}]},
    }
    world.author.active = False
    db.session.commit()
    before = counts()
    with pytest.raises(JobFailed, match="no longer active"):
        run_redaction_job(JobHandle("no-such-job"), payload)
    assert counts() == before
