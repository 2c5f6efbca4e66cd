"""A capture's checked screenshots wait sealed on disk, not in memory, until they are stored."""

from __future__ import annotations

import io
import json
import os
import tracemalloc

from PIL import Image
from warcio.warcwriter import WARCWriter

from app.webcapture.inspection import inspect_capture
from app.webcapture.limits import CaptureLimits
from app.webcapture.pageview import PageViews
from tests.security.intake_channels import (  # noqa: F401 (fixtures)
    intake_fixture,
    vault_dir_fixture,
)
from tests.webcapture.captures import wacz_bytes, wacz_members
from tests.webcapture.test_intake import only_check, stored_intact

WACZ = "application/wacz"


def noise_png(side: int) -> bytes:
    """A PNG of random pixels, stored uncompressed: about side * side * 3 bytes."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
        out, "PNG", compress_level=0
    )
    return out.getvalue()


def screenshots_warc(shots: list[bytes]) -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    writer.write_record(writer.create_warcinfo_record("capture.warc", {"software": "tests"}))
    for number, data in enumerate(shots):
        writer.write_record(
            writer.create_warc_record(
                f"urn:view:http://news.example/page-{number}",
                "resource",
                payload=io.BytesIO(data),
                warc_content_type="image/png",
            )
        )
    return out.getvalue()


def screenshots_wacz(shots: list[bytes]) -> bytes:
    return wacz_bytes({**wacz_members(), "archive/shots.warc": screenshots_warc(shots)})


def _peak_checking(data: bytes) -> tuple[int, PageViews]:
    views = PageViews()
    tracemalloc.start()
    try:
        result = inspect_capture(WACZ, io.BytesIO(data), CaptureLimits(), views)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result["verdict"] == "passed", result.get("failure")
    return peak, views


def test_twenty_large_screenshots_are_checked_in_the_memory_of_two():
    """20 screenshots of 3 MiB (60 MiB) are held as they are checked: the check's peak is that
    of a capture with two of them (it held all of them until the check ended: 60 MB more)."""
    shot = noise_png(1024)  # 3 MiB
    few, few_views = _peak_checking(screenshots_wacz([shot] * 2))
    many, many_views = _peak_checking(screenshots_wacz([shot] * 20))
    try:
        assert len(few_views.screenshots) == 2 and len(many_views.screenshots) == 20
        assert many - few < 4_000_000, (few, many)
        assert many < 5 * len(shot), many
        # Each is kept, sealed, with its checked bytes; the file holds none of them in clear.
        assert all(entry["data"].contents() == shot for entry in many_views.screenshots)
        spilled = many_views.spill._file
        spilled.seek(0)
        on_disk = spilled.read()
        assert len(on_disk) >= 20 * len(shot)
        assert shot[4096:4160] not in on_disk and shot[-4096:-4032] not in on_disk
    finally:
        few_views.close()
        many_views.close()


def test_the_sealed_screenshots_are_stored_and_shown(intake):
    """Large screenshots spilled during the check are stored afterwards, each its own image."""
    shots = [noise_png(600), noise_png(700), noise_png(800)]
    data = screenshots_wacz(shots)
    item = stored_intact(intake, intake.send("web", "c.wacz", data), data, WACZ)
    result = json.loads(only_check(item).result)
    assert result["verdict"] == "passed"
    assert [shot["page"] for shot in result["screenshots"]] == [
        f"http://news.example/page-{number}" for number in range(3)
    ]
    page = intake.web.get(f"/investigations/{intake.ref}/evidence/{item.id}").get_data(True)
    for shot, side in zip(result["screenshots"], (600, 700, 800), strict=True):
        url = f"/investigations/{intake.ref}/evidence/{item.id}/derivatives/{shot['derivative_id']}"
        assert url in page
        served = intake.web.get(url)
        assert served.status_code == 200
        with Image.open(io.BytesIO(served.data)) as image:
            assert image.size == (side, side)


def test_a_member_whose_digest_fails_shows_none_of_its_screenshots():
    """The screenshots read from a WARC member other than the declared one are dropped."""
    shot = noise_png(300)
    members = {**wacz_members(), "archive/shots.warc": screenshots_warc([shot] * 3)}
    planted = screenshots_warc([noise_png(300)] * 3)
    views = PageViews()
    try:
        data = wacz_bytes({**members, "archive/shots.warc": planted}, declared=members)
        result = inspect_capture(WACZ, io.BytesIO(data), CaptureLimits(), views)
        assert result["verdict"] == "failed"
        assert result["failure"]["where"] == "archive/shots.warc"
        assert views.screenshots == []
    finally:
        views.close()
