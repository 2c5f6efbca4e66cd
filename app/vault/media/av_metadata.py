"""Video and audio metadata from ffprobe, read from the decrypted stream through a pipe."""

from __future__ import annotations

import functools
import json
import re
import subprocess
from collections.abc import Iterable
from typing import Any

from app.vault.media.extraction import FAILED, OK, Extraction, as_float, as_int
from app.vault.media.mp4_layout import MissingIndex, Ranges, index_first
from app.vault.media.tools import (
    ISO_BMFF_TYPES,
    MediaToolError,
    input_args,
    run_on_stream,
    tool_path,
)

# ffprobe gets this long per pass; a file that needs longer is reported as not extracted.
FFPROBE_TIMEOUT_SECONDS = 300
_FFPROBE_MAX_OUTPUT = 4 * 1024 * 1024
# The packet pass (for files whose container states no duration) prints ~40 bytes a packet.
_PACKETS_MAX_OUTPUT = 64 * 1024 * 1024


_VERSION_RE = re.compile(r"ffprobe version (\S+)")


@functools.cache
def ffprobe_extractor() -> str:
    """ "ffprobe <version>", recorded with every result (asked once per process)."""
    result = subprocess.run(
        [tool_path("ffprobe"), "-version"], capture_output=True, text=True, timeout=30, check=False
    )
    match = _VERSION_RE.search(result.stdout)
    return "ffprobe " + (match.group(1) if match else "unknown")


def plaintext_for_tools(source: Ranges, media_type: str) -> Iterable[bytes]:
    """The bytes a tool reads through its pipe: MP4/MOV with the index first (mp4_layout)."""
    if media_type in ISO_BMFF_TYPES:
        return index_first(source)
    return source.iter_range(0, source.plaintext_size)


def extract_av(source: Ranges, media_type: str) -> Extraction:
    """Duration, codecs, resolution, creation time and GPS of a video or audio file."""
    extractor = ffprobe_extractor()
    argv = [
        tool_path("ffprobe"),
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        *input_args(media_type),
    ]
    try:
        run = run_on_stream(
            argv,
            plaintext_for_tools(source, media_type),
            FFPROBE_TIMEOUT_SECONDS,
            _FFPROBE_MAX_OUTPUT,
        )
    except (MediaToolError, MissingIndex) as exc:
        return Extraction(FAILED, extractor, reason=str(exc))
    try:
        probe = json.loads(run.stdout or b"{}")
    except ValueError:
        probe = {}
    if run.returncode != 0 or not probe.get("streams"):
        reason = run.stderr.splitlines()[-1] if run.stderr else "ffprobe found no media streams"
        return Extraction(FAILED, extractor, reason=reason[:300])
    fields = av_fields(probe)
    if "duration_seconds" not in fields:
        # Read from a pipe, MP3 and Ogg state no duration (ffprobe would estimate it from the
        # file size, which a pipe does not have): add up the packets instead.
        duration = _duration_from_packets(source, media_type)
        if duration is not None:
            fields["duration_seconds"] = duration
            fields["duration_source"] = "packets"
    return Extraction(OK, extractor, fields)


def _duration_from_packets(source: Ranges, media_type: str) -> float | None:
    argv = [
        tool_path("ffprobe"),
        "-v",
        "error",
        "-select_streams",
        "0",
        "-show_entries",
        "packet=pts_time,duration_time",
        "-of",
        "csv=p=0",
        *input_args(media_type),
    ]
    try:
        run = run_on_stream(
            argv,
            plaintext_for_tools(source, media_type),
            FFPROBE_TIMEOUT_SECONDS,
            _PACKETS_MAX_OUTPUT,
        )
    except (MediaToolError, MissingIndex):
        return None
    end = None
    for line in run.stdout.decode("ascii", "replace").splitlines():
        pts, _, duration = line.partition(",")
        start, length = as_float(pts), as_float(duration)
        if start is not None:
            candidate = start + (length or 0.0)
            end = candidate if end is None else max(end, candidate)
    return round(end, 3) if end is not None else None


# Tags phones and cameras use for the capture location (ISO 6709 text).
_LOCATION_TAGS = ("com.apple.quicktime.location.ISO6709", "location", "location-eng")
_MAKE_TAGS = ("com.apple.quicktime.make", "com.android.manufacturer", "make")
_MODEL_TAGS = ("com.apple.quicktime.model", "com.android.model", "model")
_CREATED_TAGS = ("com.apple.quicktime.creationdate", "creation_time", "date")


def av_fields(probe: dict[str, Any]) -> dict[str, Any]:
    """The facts a reviewer needs from ffprobe's -show_format -show_streams JSON."""
    fmt = probe.get("format") or {}
    tags = _lower_keys(fmt.get("tags") or {})
    streams = probe.get("streams") or []
    out: dict[str, Any] = {"container": fmt.get("format_name")}
    duration = as_float(fmt.get("duration"))
    if duration is None:
        durations = [as_float(s.get("duration")) for s in streams]
        duration = max((d for d in durations if d is not None), default=None)
    if duration is not None:
        out["duration_seconds"] = round(duration, 3)
    bit_rate = as_float(fmt.get("bit_rate"))
    if bit_rate is not None:
        out["bit_rate"] = int(bit_rate)
    out["created_at"] = _first_tag(tags, _CREATED_TAGS, streams)
    out["make"] = _first_tag(tags, _MAKE_TAGS, [])
    out["model"] = _first_tag(tags, _MODEL_TAGS, [])
    location = _first_tag(tags, _LOCATION_TAGS, [])
    if location:
        out["gps"] = parse_iso6709(location)
        out["location_raw"] = location[:100]
    video = [s for s in streams if s.get("codec_type") == "video"]
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    if video:
        out["video"] = _video_stream(video[0])
    if audio:
        out["audio"] = _audio_stream(audio[0])
    out["streams"] = [
        {"index": s.get("index"), "type": s.get("codec_type"), "codec": s.get("codec_name")}
        for s in streams
    ]
    return {k: v for k, v in out.items() if v is not None}


def _lower_keys(tags: dict[str, Any]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in tags.items()}


def _first_tag(tags: dict[str, str], names: tuple[str, ...], streams: list[dict]) -> str | None:
    for name in names:
        value = tags.get(name.lower())
        if value:
            return value.strip()[:200]
    for stream in streams:
        stream_tags = _lower_keys(stream.get("tags") or {})
        for name in names:
            if stream_tags.get(name.lower()):
                return stream_tags[name.lower()].strip()[:200]
    return None


def _video_stream(stream: dict[str, Any]) -> dict[str, Any]:
    out = {
        "codec": stream.get("codec_name"),
        "width": stream.get("width"),
        "height": stream.get("height"),
        "frame_rate": _rate(stream.get("avg_frame_rate")),
        "rotation": _rotation(stream),
    }
    return {k: v for k, v in out.items() if v is not None}


def _audio_stream(stream: dict[str, Any]) -> dict[str, Any]:
    out = {
        "codec": stream.get("codec_name"),
        "sample_rate": int(rate)
        if (rate := str(stream.get("sample_rate", ""))).isdigit()
        else None,
        "channels": as_int(stream.get("channels")),
    }
    return {k: v for k, v in out.items() if v is not None}


def _rate(value: Any) -> float | None:
    if not isinstance(value, str) or "/" not in value:
        return None
    num, _, den = value.partition("/")
    try:
        rate = int(num) / int(den)
    except (ValueError, ZeroDivisionError):
        return None
    return round(rate, 3) if rate > 0 else None


def _rotation(stream: dict[str, Any]) -> int | None:
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            return as_int(side["rotation"]) if isinstance(side["rotation"], int) else None
    rotate = (stream.get("tags") or {}).get("rotate")
    return int(rotate) if isinstance(rotate, str) and rotate.lstrip("-").isdigit() else None


_ISO6709_RE = re.compile(
    r"^(?P<lat>[+-]\d{2,6}(?:\.\d+)?)(?P<lon>[+-]\d{3,7}(?:\.\d+)?)(?P<alt>[+-]\d+(?:\.\d+)?)?"
    r"(?:CRS[^/]*)?/?$"
)


def parse_iso6709(text: str) -> dict[str, float] | None:
    """ISO 6709 point ("+37.7858-122.4064+010.000/") as decimal degrees; None if unparsable.

    Handles the degree, degree-minute and degree-minute-second forms (Annex H), chosen by the
    number of integer digits: 2/4/6 for latitude, 3/5/7 for longitude.
    """
    match = _ISO6709_RE.match(text.strip())
    if not match:
        return None
    latitude = _iso6709_angle(match["lat"], 2)
    longitude = _iso6709_angle(match["lon"], 3)
    if latitude is None or longitude is None:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    out = {"latitude": round(latitude, 7), "longitude": round(longitude, 7)}
    if match["alt"]:
        out["altitude_m"] = round(float(match["alt"]), 2)
    return out


def _iso6709_angle(text: str, degree_digits: int) -> float | None:
    sign = -1.0 if text[0] == "-" else 1.0
    whole, _, fraction = text[1:].partition(".")
    fraction_value = float("0." + fraction) if fraction else 0.0
    extra = len(whole) - degree_digits
    if extra == 0:
        return sign * (int(whole) + fraction_value)
    if extra == 2:  # DDMM.MMM
        minutes = int(whole[degree_digits:]) + fraction_value
        return sign * (int(whole[:degree_digits]) + minutes / 60)
    if extra == 4:  # DDMMSS.SS
        minutes = int(whole[degree_digits : degree_digits + 2])
        seconds = int(whole[degree_digits + 2 :]) + fraction_value
        return sign * (int(whole[:degree_digits]) + minutes / 60 + seconds / 3600)
    return None
