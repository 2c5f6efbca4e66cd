"""Media metadata read from evidence bytes: EXIF for photos (Pillow), ffprobe for video and audio.

What is extracted here is what the FILE says. What the client reported at upload (device
time, GPS, who captured) is kept separately in EvidenceItem.client_facts; the two are shown
side by side and never merged (issue 3, item 6). Nothing here writes plaintext to disk:
Pillow reads a seekable decrypting file object, ffprobe reads a pipe.
"""

from __future__ import annotations

import functools
import io
import json
import math
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import PIL
from PIL import ExifTags, Image, UnidentifiedImageError

from app.vault.media_tools import (
    ISO_BMFF_TYPES,
    MediaToolError,
    input_args,
    run_on_stream,
    tool_path,
)
from app.vault.mp4_layout import MissingIndex, Ranges, index_first

# Decompression-bomb guard. A photo larger than this many pixels is refused, not decoded: a
# few hundred bytes of PNG can declare 50,000 x 50,000 pixels, which would take 7.5 GB to
# decode. 100 megapixels covers every phone and most professional cameras (a 100 MP RGB
# image is 300 MB decoded); Pillow itself raises DecompressionBombError above twice this.
MAX_IMAGE_PIXELS = 100_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

# ffprobe gets this long per pass; a file that needs longer is reported as not extracted.
FFPROBE_TIMEOUT_SECONDS = 300
_FFPROBE_MAX_OUTPUT = 4 * 1024 * 1024
# The packet pass (for files whose container states no duration) prints ~40 bytes a packet.
_PACKETS_MAX_OUTPUT = 64 * 1024 * 1024

OK = "ok"
REFUSED = "refused"  # the file was not processed, for a stated reason (e.g. a bomb)
FAILED = "failed"  # the tool could not read it (corrupt, truncated, unsupported codec)
UNSUPPORTED = "unsupported"  # no extractor for this type (documents, HEIC without a decoder)


class MediaRefused(ValueError):
    """The file must not be processed (decompression bomb); the message says why."""


@dataclass
class Extraction:
    """What one extractor found. `fields` holds only values read from the file."""

    status: str
    extractor: str
    fields: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "extractor": self.extractor}
        if self.reason:
            out["reason"] = self.reason
        out["fields"] = self.fields
        return out

    def to_json(self) -> str:
        # allow_nan=False: a NaN from a broken rational must never reach storage as JSON.
        return json.dumps(self.as_dict(), sort_keys=True, allow_nan=False, ensure_ascii=False)


PILLOW_EXTRACTOR = f"Pillow {PIL.__version__}"


@functools.cache
def heif_extractor() -> str:
    """Teach Pillow HEIC/HEIF (iPhones' default photo format), once, when first needed.

    Loaded lazily: libheif adds ~4 MB to every worker, and most workers never see a HEIC.
    """
    import pillow_heif

    pillow_heif.register_heif_opener()
    return f"Pillow {PIL.__version__} + pillow-heif {pillow_heif.__version__}"


def _is_iso_bmff(file: IO[bytes]) -> bool:
    head = file.read(12)
    file.seek(0)
    return head[4:8] == b"ftyp"


# --- Photos -------------------------------------------------------------------------------------


def check_image_size(image: Image.Image) -> None:
    """Refuse an image over MAX_IMAGE_PIXELS before any pixel is decoded."""
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise MediaRefused(
            f"image is {width} x {height} pixels ({width * height:,}); the limit is "
            f"{MAX_IMAGE_PIXELS:,} pixels (decompression-bomb guard); not processed"
        )


def open_image(file: IO[bytes]) -> Image.Image:
    """Image.open with the bomb guard; raises MediaRefused or UnidentifiedImageError/OSError."""
    if _is_iso_bmff(file):
        heif_extractor()
    try:
        image = Image.open(file)
    except Image.DecompressionBombError:
        raise MediaRefused(
            f"image is more than twice the limit of {MAX_IMAGE_PIXELS:,} pixels "
            "(decompression-bomb guard); not processed"
        ) from None
    check_image_size(image)
    return image


def extract_photo(file: IO[bytes]) -> Extraction:
    """EXIF capture time, GPS (decimal degrees), make/model and orientation of a photo."""
    try:
        image = open_image(file)
    except MediaRefused as exc:
        return Extraction(REFUSED, PILLOW_EXTRACTOR, reason=str(exc))
    except (UnidentifiedImageError, OSError) as exc:
        return Extraction(UNSUPPORTED, PILLOW_EXTRACTOR, reason=_pillow_reason(exc))
    with image:
        try:
            exif = image.getexif()
        except (OSError, SyntaxError, ValueError) as exc:
            return Extraction(FAILED, PILLOW_EXTRACTOR, reason=f"unreadable EXIF: {exc}")
        fields: dict[str, Any] = {
            "format": image.format,
            "width": image.size[0],
            "height": image.size[1],
        }
        fields.update(exif_fields(exif))
    extractor = heif_extractor() if fields["format"] == "HEIF" else PILLOW_EXTRACTOR
    return Extraction(OK, extractor, {k: v for k, v in fields.items() if v is not None})


def _pillow_reason(exc: Exception) -> str:
    if isinstance(exc, UnidentifiedImageError):
        return "the image library cannot decode this file (unknown or damaged image data)"
    return f"unreadable image: {exc}"


def exif_fields(exif: Image.Exif) -> dict[str, Any]:
    """Normalised EXIF facts; raw strings as the camera wrote them, numbers as floats."""
    base = ExifTags.Base
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    out: dict[str, Any] = {
        "make": _text(exif.get(base.Make)),
        "model": _text(exif.get(base.Model)),
        "software": _text(exif.get(base.Software)),
        "orientation": _int(exif.get(base.Orientation)),
        # EXIF 2.32 §4.6.5: DateTimeOriginal is the camera's local time, without a zone;
        # OffsetTimeOriginal (when present) gives the zone. Kept apart, never guessed.
        "captured_at": _exif_datetime(sub.get(base.DateTimeOriginal)),
        "captured_at_offset": _text(sub.get(base.OffsetTimeOriginal)),
        "digitized_at": _exif_datetime(sub.get(base.DateTimeDigitized)),
        "modified_at": _exif_datetime(exif.get(base.DateTime)),
        "lens_model": _text(sub.get(base.LensModel)),
        "gps": gps_fields(gps),
    }
    return {k: v for k, v in out.items() if v is not None}


def gps_fields(gps: dict[int, Any]) -> dict[str, Any] | None:
    """GPS IFD (EXIF 2.32 §4.6.6) as decimal degrees; None without a usable position."""
    tags = ExifTags.GPS
    latitude = _dms_to_degrees(gps.get(tags.GPSLatitude), gps.get(tags.GPSLatitudeRef), "S")
    longitude = _dms_to_degrees(gps.get(tags.GPSLongitude), gps.get(tags.GPSLongitudeRef), "W")
    if latitude is None or longitude is None:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    out: dict[str, Any] = {"latitude": round(latitude, 7), "longitude": round(longitude, 7)}
    altitude = _float(gps.get(tags.GPSAltitude))
    if altitude is not None:
        below_sea = gps.get(tags.GPSAltitudeRef) in (1, b"\x01")
        out["altitude_m"] = round(-altitude if below_sea else altitude, 2)
    date = _text(gps.get(tags.GPSDateStamp))
    time = gps.get(tags.GPSTimeStamp)
    if date and isinstance(time, tuple) and len(time) == 3:
        parts = [_float(v) for v in time]
        if all(p is not None for p in parts):
            h, m, s = parts
            out["gps_time_utc"] = f"{date.replace(':', '-')}T{int(h):02d}:{int(m):02d}:{s:06.3f}Z"
    return out


def _dms_to_degrees(value: Any, ref: Any, negative_ref: str) -> float | None:
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    parts = [_float(v) for v in value]
    if any(p is None for p in parts):
        return None
    degrees = parts[0] + parts[1] / 60 + parts[2] / 3600
    ref_text = _text(ref) or ""
    return -degrees if ref_text.upper().startswith(negative_ref) else degrees


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value[:200] or None


def _exif_datetime(value: Any) -> str | None:
    """EXIF "YYYY:MM:DD HH:MM:SS" as ISO 8601 local time; the raw text if it does not parse."""
    text = _text(value)
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y:%m:%d %H:%M:%S").isoformat()
    except ValueError:
        return text


# --- Video and audio ----------------------------------------------------------------------------


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
        start, length = _float(pts), _float(duration)
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
    duration = _float(fmt.get("duration"))
    if duration is None:
        durations = [_float(s.get("duration")) for s in streams]
        duration = max((d for d in durations if d is not None), default=None)
    if duration is not None:
        out["duration_seconds"] = round(duration, 3)
    bit_rate = _float(fmt.get("bit_rate"))
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
        "channels": _int(stream.get("channels")),
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
            return _int(side["rotation"]) if isinstance(side["rotation"], int) else None
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


# --- Dispatch -----------------------------------------------------------------------------------


def extract_metadata(kind: str, media_type: str, reader: Any) -> Extraction:
    """Metadata of one evidence item from its plaintext (an AgeReader or the same shape)."""
    if kind == "photo":
        with io.BufferedReader(reader.as_file(), buffer_size=65536) as file:
            return extract_photo(file)
    if kind in ("video", "audio"):
        return extract_av(reader, media_type)
    return Extraction(UNSUPPORTED, "none", reason=f"no metadata extractor for {kind} files")
