"""Demo media: labelled, tiny, of an accepted type, with the time and place of their incident."""

from __future__ import annotations

import io
import json
import subprocess
from datetime import datetime, timedelta

import pytest

from app.demo.media import (
    demo_audio,
    demo_document,
    demo_photo,
    demo_video,
    offset_text,
    syria_utc_offset,
)
from app.demo.scenario import load_scenario
from app.vault.media.metadata import extract_photo
from app.vault.upload.sniff import SNIFF_BYTES, detect_type
from tests.helpers.media import require_tool

pytestmark = pytest.mark.nodb

SCENARIO = load_scenario()


def probe(data: bytes) -> dict:
    done = subprocess.run(
        [require_tool("ffprobe"), "-v", "error", "-show_format", "-of", "json", "-"],
        input=data,
        capture_output=True,
        check=True,
    )
    return json.loads(done.stdout)["format"]


def test_syria_left_summer_time_on_30_october_2015():
    assert offset_text(syria_utc_offset(datetime(2015, 10, 29, 23, 59))) == "+03:00"
    assert offset_text(syria_utc_offset(datetime(2015, 10, 30, 0, 0))) == "+02:00"


@pytest.mark.parametrize("spec", SCENARIO.photos, ids=lambda spec: spec.key)
def test_photos_carry_the_gps_and_local_time_of_their_incident(spec):
    incident = SCENARIO.incident(spec.incident)
    made = demo_photo(incident, spec, 0)
    assert detect_type(made.data[:SNIFF_BYTES]).kind == "photo"
    assert len(made.data) < 100_000
    fields = extract_photo(io.BytesIO(made.data)).fields
    assert abs(fields["gps"]["latitude"] - incident.lat) < 0.001
    assert abs(fields["gps"]["longitude"] - incident.lon) < 0.001
    taken = incident.local_start + timedelta(minutes=spec.minutes_after)
    assert fields["captured_at"] == taken.isoformat(timespec="seconds")
    assert fields["captured_at_offset"] == offset_text(syria_utc_offset(taken))
    assert "fictional" in fields["model"]
    assert made.client_facts["captured_at"].startswith(taken.isoformat(timespec="seconds"))


def test_videos_are_short_small_mp4s_saying_they_are_fictional():
    spec = SCENARIO.videos[0]
    made = demo_video(SCENARIO.incident(spec.incident), spec)
    assert detect_type(made.data[:SNIFF_BYTES]).media_type == "video/mp4"
    assert len(made.data) < 200_000
    info = probe(made.data)
    assert 2.0 <= float(info["duration"]) <= 3.5
    assert "FICTIONAL" in info["tags"]["title"]
    assert info["tags"]["creation_time"].startswith(str(SCENARIO.incident(spec.incident).date))


def test_recordings_are_short_audio_files_saying_they_are_fictional():
    made = demo_audio(SCENARIO.audio[0])
    assert detect_type(made.data[:SNIFF_BYTES]).kind == "audio"
    info = probe(made.data)
    assert 2.0 <= float(info["duration"]) <= 3.5
    assert "FICTIONAL" in info["tags"]["title"]


def test_the_party_statement_is_a_plain_text_document():
    made = demo_document(SCENARIO.party_response)
    assert detect_type(made.data[:SNIFF_BYTES]).kind == "document"
    assert made.data.startswith(b"DEMO CONTENT - FICTIONAL TEXT")
