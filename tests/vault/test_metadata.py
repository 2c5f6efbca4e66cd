"""Metadata extraction from real media, read back through the age reader as the vault does."""

from __future__ import annotations

import io
import json
import subprocess

import pytest

from app.vault.media.av_metadata import parse_iso6709
from app.vault.media.extraction import OK, REFUSED, UNSUPPORTED
from app.vault.media.metadata import MAX_IMAGE_PIXELS, extract_metadata, extract_photo
from app.vault.media.mp4_layout import index_first, top_level_boxes
from app.vault.media.tools import TOOL_ADDRESS_SPACE_BYTES, MediaToolError, run_on_stream
from tests.helpers.media import (
    age_reader,
    heic_with_exif,
    jpeg_with_exif,
    make_audio,
    make_mp4,
    png_bomb,
    png_bytes,
    require_tool,
)

pytestmark = pytest.mark.nodb


class CountingRanges:
    """An AgeReader that counts the plaintext it hands out (to prove early stops)."""

    def __init__(self, data: bytes) -> None:
        self._reader = age_reader(data)
        self.plaintext_size = self._reader.plaintext_size
        self.bytes_served = 0

    def iter_range(self, start: int, end: int):
        for chunk in self._reader.iter_range(start, end):
            self.bytes_served += len(chunk)
            yield chunk


# Photos


def test_jpeg_exif_capture_time_gps_and_camera_match_what_was_written():
    data = jpeg_with_exif(
        latitude=(36, 12, 7.5), longitude=(37, 8, 3.25), captured="2024:05:01 10:15:30"
    )
    result = extract_metadata("photo", "image/jpeg", age_reader(data))
    assert result.status == OK
    fields = result.fields
    assert fields["captured_at"] == "2024-05-01T10:15:30"
    assert fields["captured_at_offset"] == "+03:00"
    assert fields["gps"]["latitude"] == pytest.approx(36 + 12 / 60 + 7.5 / 3600, abs=1e-6)
    assert fields["gps"]["longitude"] == pytest.approx(37 + 8 / 60 + 3.25 / 3600, abs=1e-6)
    assert fields["gps"]["altitude_m"] == pytest.approx(412.5)
    assert (fields["make"], fields["model"], fields["orientation"]) == (
        "Canon",
        "EOS 5D Mark IV",
        1,
    )
    assert (fields["width"], fields["height"]) == (640, 480)


def test_southern_and_western_gps_references_give_negative_degrees():
    data = jpeg_with_exif(latitude_ref="S", longitude_ref="W")
    gps = extract_photo(io.BytesIO(data)).fields["gps"]
    assert gps["latitude"] < 0 and gps["longitude"] < 0


def test_orientation_is_reported_as_written():
    assert extract_photo(io.BytesIO(jpeg_with_exif(orientation=6))).fields["orientation"] == 6


def test_photo_without_exif_has_dimensions_only():
    result = extract_photo(io.BytesIO(png_bytes()))
    assert result.status == OK
    assert result.fields == {"format": "PNG", "width": 400, "height": 300}


def test_png_decompression_bomb_is_refused_with_a_reason():
    bomb = png_bomb()
    assert len(bomb) < 200_000  # small on disk ...
    result = extract_metadata("photo", "image/png", age_reader(bomb))  # ... 900 MP decoded
    assert result.status == REFUSED
    assert "decompression-bomb" in result.reason
    assert f"{MAX_IMAGE_PIXELS:,}" in result.reason
    assert result.fields == {}


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_image_just_over_the_limit_but_under_pillows_own_error_is_refused():
    side = int(MAX_IMAGE_PIXELS**0.5) + 100  # between 1x and 2x: Pillow only warns there
    result = extract_photo(io.BytesIO(png_bomb(side)))
    assert result.status == REFUSED
    assert f"{side} x {side}" in result.reason


def test_unreadable_image_is_unsupported_not_an_error():
    result = extract_photo(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100))
    assert result.status == UNSUPPORTED
    assert "cannot decode" in result.reason


def test_iphone_heic_exif_is_read_like_a_jpegs():
    result = extract_metadata("photo", "image/heic", age_reader(heic_with_exif()))
    assert result.status == OK, result.reason
    assert result.fields["format"] == "HEIF"
    assert result.fields["captured_at"] == "2024-05-01T10:15:30"
    assert result.fields["gps"]["latitude"] == pytest.approx(36.2020833)
    assert "pillow-heif" in result.extractor


def test_result_json_is_strict_json():
    result = extract_photo(io.BytesIO(jpeg_with_exif()))
    decoded = json.loads(result.to_json())
    assert decoded["status"] == "ok" and decoded["extractor"].startswith("Pillow ")


# Video and audio


@pytest.mark.parametrize("faststart", [False, True], ids=["moov-at-end", "faststart"])
def test_ffprobe_metadata_of_an_ffmpeg_mp4(tmp_path, faststart):
    data = make_mp4(
        tmp_path,
        seconds=2,
        size="320x240",
        creation_time="2024-05-01T10:15:30.000000Z",
        location="+36.2021+037.1343/",
        faststart=faststart,
    )
    result = extract_metadata("video", "video/mp4", age_reader(data))
    assert result.status == OK, result.reason
    fields = result.fields
    assert fields["duration_seconds"] == pytest.approx(2.0, abs=0.05)
    assert fields["video"] == {"codec": "h264", "width": 320, "height": 240, "frame_rate": 25.0}
    assert fields["audio"]["codec"] == "aac"
    assert fields["created_at"] == "2024-05-01T10:15:30.000000Z"
    assert fields["gps"] == {"latitude": 36.2021, "longitude": 37.1343}
    assert result.extractor.startswith("ffprobe ")


def test_ffprobe_of_a_moov_at_end_mp4_stops_after_the_index(tmp_path):
    data = make_mp4(tmp_path, seconds=4, size="640x480", faststart=False, noisy=True)
    assert len(data) > 20 * 1024 * 1024
    boxes = top_level_boxes(age_reader(data))
    assert [b.type for b in boxes][-1] == b"moov"  # the layout that forces a full read
    source = CountingRanges(data)
    assert extract_metadata("video", "video/mp4", source).status == OK
    # ffprobe reads its probe window (5 MB by default) and stops; the rest is never decrypted.
    assert source.bytes_served < len(data) // 2


def test_index_first_reordering_decodes_to_the_same_frames(tmp_path):
    """The patched chunk offsets must point at the same samples (framemd5 of both)."""
    ffmpeg = require_tool("ffmpeg")
    data = make_mp4(tmp_path, seconds=3, faststart=False)
    reordered = b"".join(index_first(age_reader(data)))
    assert len(reordered) == len(data) and reordered != data

    def frame_hashes(blob: bytes) -> str:
        # The original is read from a (test) file: through a pipe, its late index cannot be used.
        path = tmp_path / "probe.mp4"
        path.write_bytes(blob)
        return subprocess.run(
            [ffmpeg, "-v", "error", "-i", str(path), "-f", "framemd5", "-"],
            capture_output=True,
            check=True,
        ).stdout.decode()

    def piped_frame_hashes(blob: bytes) -> str:
        return subprocess.run(
            [ffmpeg, "-v", "error", "-f", "mov", "-i", "pipe:0", "-f", "framemd5", "-"],
            input=blob,
            capture_output=True,
            check=True,
        ).stdout.decode()

    expected = frame_hashes(data)
    assert expected.count("\n0,") > 10  # video frames to compare
    assert piped_frame_hashes(reordered) == expected
    assert frame_hashes(reordered) == expected


@pytest.mark.parametrize(
    "fmt,media_type,codec",
    [
        ("mp3", "audio/mpeg", "mp3"),
        ("ogg", "audio/ogg", "vorbis"),
        ("wav", "audio/x-wav", "pcm_s16le"),
        ("m4a", "audio/mp4", "aac"),
    ],
)
def test_audio_duration_and_codec(tmp_path, fmt, media_type, codec):
    result = extract_metadata("audio", media_type, age_reader(make_audio(tmp_path, fmt, 1.5)))
    assert result.status == OK, result.reason
    assert result.fields["audio"]["codec"] == codec
    assert result.fields["duration_seconds"] == pytest.approx(1.5, abs=0.1)


def test_corrupt_video_fails_with_ffprobes_reason():
    result = extract_metadata("video", "video/mp4", age_reader(b"\x00\x00\x00\x08free" * 50))
    assert result.status == "failed"
    assert result.reason


def test_documents_have_no_extractor():
    result = extract_metadata("document", "application/pdf", age_reader(b"%PDF-1.4\n"))
    assert result.status == UNSUPPORTED


@pytest.mark.parametrize(
    "text,expected",
    [
        ("+36.2021+037.1343/", {"latitude": 36.2021, "longitude": 37.1343}),
        (
            "-33.8688+151.2093+012.500/",
            {"latitude": -33.8688, "longitude": 151.2093, "altitude_m": 12.5},
        ),
        ("+3612.126+03708.058/", {"latitude": 36.2021, "longitude": 37.1343}),
        ("+361207.56+0370803.48/", {"latitude": 36.2021, "longitude": 37.1343}),
        ("+36.2021+037.1343CRSWGS_84/", {"latitude": 36.2021, "longitude": 37.1343}),
    ],
)
def test_iso6709_locations(text, expected):
    parsed = parse_iso6709(text)
    assert parsed.keys() == expected.keys()
    for key, value in expected.items():
        assert parsed[key] == pytest.approx(value, abs=1e-4)


@pytest.mark.parametrize("text", ["", "Aleppo", "+95.0+037.0/", "+36.2+37.1/"])
def test_iso6709_rejects_nonsense(text):
    assert parse_iso6709(text) is None


def test_mp4_cut_off_before_its_index_fails_at_once_without_reading_it(tmp_path):
    data = make_mp4(tmp_path, seconds=4, size="640x480", noisy=True)
    moov = next(b for b in top_level_boxes(age_reader(data)) if b.type == b"moov")
    truncated = data[: moov.offset]  # what a phone leaves when recording is interrupted
    source = CountingRanges(truncated)
    result = extract_metadata("video", "video/mp4", source)
    assert result.status == "failed"
    assert "moov" in result.reason
    assert source.bytes_served < 1024  # box headers only


def test_media_tools_run_with_memory_and_cpu_limits():
    """A hostile file must not let ffmpeg eat the server: limits are set before input flows."""
    run = run_on_stream(["/bin/sh", "-c", "read line; cat /proc/self/limits"], [b"go\n"], 30, 65536)
    limits = run.stdout.decode()
    address_space = next(line for line in limits.splitlines() if "address space" in line)
    assert str(TOOL_ADDRESS_SPACE_BYTES) in address_space
    cpu = next(line for line in limits.splitlines() if "cpu time" in line)
    assert " 31 " in cpu


def test_media_tools_are_killed_after_their_timeout():
    with pytest.raises(MediaToolError, match="did not finish within"):
        run_on_stream(["/bin/sh", "-c", "sleep 30"], [], 0.5, 65536)
