"""The static view of a capture's pages: text, sanitised HTML, screenshots served by Custos."""

from __future__ import annotations

import json

from PIL import Image

from app.webcapture.pageview import page_text, sanitise
from tests.security.intake_channels import (  # noqa: F401 (fixtures)
    intake_fixture,
    vault_dir_fixture,
)
from tests.webcapture.captures import hostile_capture, hostile_page
from tests.webcapture.test_intake import only_check, stored_intact

OTHER = "http://other-host.invalid"


def test_sanitised_html_keeps_structure_and_drops_everything_that_runs_or_loads():
    clean = sanitise(hostile_page(OTHER).decode())
    assert "<h1>Checkpoint closed</h1>" in clean
    assert "<b>convoy</b>" in clean
    for gone in ("other-host", "<script", "onload", "onerror", "<img", "<a", "<iframe", "<form"):
        assert gone not in clean, gone
    assert "<style" not in clean and "<svg" not in clean and "PWNED" not in clean


def test_page_text_leaves_out_scripts_and_styles():
    text = page_text(hostile_page(OTHER).decode())
    assert "Soldiers stopped the convoy at dawn." in text
    assert "Checkpoint & road" in text
    assert "fetch" not in text and "background" not in text


def test_the_item_page_shows_each_captured_page_statically(intake):
    data = hostile_capture(OTHER)
    item = stored_intact(intake, intake.send("web", "c.wacz", data), data, "application/wacz")
    response = intake.web.get(f"/investigations/{intake.ref}/evidence/{item.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "http://news.example/checkpoint" in page
    assert "2026-03-01T08:00:00Z" in page
    assert "Soldiers stopped the convoy at dawn." in page  # the page text
    assert "<h1>Checkpoint closed</h1>" in page  # the sanitised HTML
    assert "other-host" not in page and "PWNED" not in page
    result = json.loads(only_check(item).result)
    (shot,) = result["screenshots"]
    assert shot["page"] == "http://news.example/checkpoint"
    image_url = (
        f"/investigations/{intake.ref}/evidence/{item.id}/derivatives/{shot['derivative_id']}"
    )
    assert image_url in page
    served = intake.web.get(image_url)
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(__import__("io").BytesIO(served.data)) as image:
        assert image.size == (40, 30)


def test_a_screenshot_that_is_not_an_image_is_named_and_not_served(intake):
    import io

    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    writer.write_record(
        writer.create_warc_record(
            "urn:view:http://news.example/x",
            "resource",
            payload=io.BytesIO(b"<script>alert(1)</script>"),
            warc_content_type="image/png",
        )
    )
    sent = intake.send("web", "c.warc", out.getvalue())
    item = intake.item(sent.evidence_id)
    result = json.loads(only_check(item).result)
    assert result["screenshots"] == [
        {
            "file": "warc",
            "record_id": result["records"][0]["record_id"],
            "target_uri": "urn:view:http://news.example/x",
            "date": result["records"][0]["date"],
            "page": "http://news.example/x",
            "unreadable": True,
        }
    ]
    page = intake.web.get(f"/investigations/{intake.ref}/evidence/{item.id}").get_data(True)
    assert "could not be read as an image" in page
    assert "alert(1)" not in page
