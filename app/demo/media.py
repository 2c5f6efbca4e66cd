"""Demo media made on the spot: labelled Pillow scenes with EXIF, ffmpeg test patterns and tones.

Every file says what it is: each picture and video frame carries a visible "DEMO — FICTIONAL"
label and a caption saying it is generated, and the files' own metadata (EXIF, MP4 tags) say
so too. Photos carry EXIF GPS and DateTimeOriginal matching their incident (EXIF 2.32
§4.6.5-4.6.6), so the vault's metadata extraction has something real to read. Sizes are
kept tiny (tens of KiB) so loading the whole demo takes seconds.
"""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from PIL import ExifTags, Image, ImageDraw, ImageFont, TiffImagePlugin

from app.demo.specs import AudioSpec, IncidentSpec, PhotoSpec, ResponseSpec, VideoSpec

LABEL = "DEMO — FICTIONAL"
EXIF_LABEL = "DEMO - FICTIONAL generated image, not a photograph"  # EXIF ASCII fields
PHOTO_SIZE = (480, 320)
VIDEO_SIZE = (320, 240)
CLIP_SECONDS = 3
FONT_DIR = Path("/usr/share/fonts/truetype/noto")  # Debian's fonts-noto-core (Makefile)
FFMPEG_TIMEOUT_SECONDS = 60
SCENES = ("homes", "hospital", "market", "crater", "remnants")


class MediaGenerationError(RuntimeError):
    """A demo file could not be made (ffmpeg missing or failing); the message says what to do."""


@dataclass(frozen=True)
class DemoFile:
    """One generated file and what a field worker's phone would report about it."""

    filename: str
    data: bytes
    client_facts: dict


# --- Time and place -------------------------------------------------------------------------


def syria_utc_offset(local: datetime) -> timedelta:
    """Syria's offset in autumn 2015: summer time (+03:00) ended at 00:00 on 30 October."""
    return timedelta(hours=3) if local < datetime(2015, 10, 30) else timedelta(hours=2)


def offset_text(offset: timedelta) -> str:
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    return f"{'+' if hours >= 0 else '-'}{abs(hours):02d}:{rest // 60:02d}"


def capture_facts(local: datetime, lat: float, lon: float, note: str) -> dict:
    """What the uploading phone says: time with its zone, position, device, a note."""
    offset = offset_text(syria_utc_offset(local))
    return {
        "captured_at": f"{local.isoformat(timespec='seconds')}{offset}",
        "location": f"{lat:.5f}, {lon:.5f}",
        "captured_by": "Handed over by the witness (fictional)",
        "device": "Custos demo generator (no real device)",
        "notes": note,
    }


def photo_position(incident: IncidentSpec, index: int) -> tuple[float, float]:
    """A few tens of metres from the incident's point, as photos taken around a site are."""
    step = 0.0003
    return (
        round(incident.lat + step * ((index % 3) - 1), 6),
        round(incident.lon + step * (((index + 1) % 3) - 1), 6),
    )


# --- Drawing --------------------------------------------------------------------------------


@cache
def _font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = FONT_DIR / ("NotoSans-Bold.ttf" if bold else "NotoSans-Regular.ttf")
    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def draw_label(image: Image.Image, caption: str) -> None:
    """The visible label: a dark band with DEMO — FICTIONAL on top, the caption at the bottom."""
    width, height = image.size
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    big = _font(max(18, height // 9))
    small = _font(max(10, height // 24), bold=False)
    band = height // 6
    draw.rectangle((0, 0, width, band), fill=(20, 20, 20, 200))
    draw.text((width / 2, band / 2), LABEL, font=big, fill=(255, 210, 0, 255), anchor="mm")
    draw.rectangle((0, height - band // 2 - 4, width, height), fill=(20, 20, 20, 190))
    draw.text(
        (width / 2, height - band // 4 - 2),
        caption,
        font=small,
        fill=(255, 255, 255, 255),
        anchor="mm",
    )
    image.alpha_composite(overlay)


def _scene(kind: str, rng: random.Random) -> Image.Image:
    """A crude drawing of the kind of place hit; obviously not a photograph."""
    width, height = PHOTO_SIZE
    image = Image.new("RGBA", PHOTO_SIZE, (150, 180, 205, 255))
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.62)
    draw.rectangle((0, horizon, width, height), fill=(120, 110, 95, 255))
    if kind in ("homes", "market", "hospital"):
        x = 10
        while x < width - 40:
            w, h = rng.randint(50, 90), rng.randint(60, 130)
            shade = rng.randint(170, 215)
            draw.rectangle((x, horizon - h, x + w, horizon), fill=(shade, shade - 10, shade - 25))
            for wx in range(x + 8, x + w - 10, 18):
                for wy in range(horizon - h + 10, horizon - 15, 22):
                    draw.rectangle((wx, wy, wx + 8, wy + 10), fill=(60, 70, 80))
            x += w + rng.randint(6, 20)
    if kind == "hospital":
        cx, cy = width // 2, horizon - 95
        draw.rectangle((cx - 80, cy - 10, cx + 80, horizon), fill=(235, 235, 230))
        draw.ellipse((cx - 22, cy + 10, cx + 22, cy + 54), fill=(200, 20, 30))
        draw.ellipse((cx - 12, cy + 8, cx + 28, cy + 50), fill=(235, 235, 230))
    if kind == "market":
        for x in range(20, width - 40, 55):
            colour = rng.choice([(200, 60, 50), (40, 120, 170), (220, 170, 40)])
            draw.polygon([(x, horizon - 35), (x + 45, horizon - 35), (x + 52, horizon - 20),
                          (x - 7, horizon - 20)], fill=colour)  # fmt: skip
    if kind == "crater":
        draw.ellipse((width * 0.25, horizon + 20, width * 0.75, height - 30), fill=(70, 60, 50))
        draw.ellipse((width * 0.32, horizon + 32, width * 0.68, height - 42), fill=(45, 40, 35))
    if kind == "remnants":
        draw.rectangle((0, int(height * 0.2), width, height), fill=(125, 115, 100))
        for _ in range(5):
            x, y = rng.randint(40, width - 80), rng.randint(int(height * 0.35), height - 70)
            draw.rounded_rectangle((x, y, x + 46, y + 16), radius=6, fill=(90, 95, 70))
            draw.rectangle((x + 46, y + 3, x + 54, y + 13), fill=(60, 60, 55))
        draw.rectangle((30, height - 60, 230, height - 52), fill=(240, 240, 240))  # scale bar
    if kind in ("homes", "market", "hospital"):
        for _ in range(4):  # rubble and smoke
            x = rng.randint(40, width - 40)
            r = rng.randint(18, 40)
            draw.ellipse((x - r, horizon - 160 - r, x + r, horizon - 160 + r), fill=(90, 90, 90))
        draw.polygon([(width * 0.3, horizon), (width * 0.45, horizon - 40),
                      (width * 0.6, horizon)], fill=(110, 100, 90))  # fmt: skip
    return image


def _rational(value: float, denominator: int = 10_000) -> TiffImagePlugin.IFDRational:
    return TiffImagePlugin.IFDRational(round(value * denominator), denominator)


def _dms(value: float) -> tuple[TiffImagePlugin.IFDRational, ...]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = ((value - degrees) * 60 - minutes) * 60
    return (_rational(degrees, 1), _rational(minutes, 1), _rational(seconds))


def photo_exif(local: datetime, lat: float, lon: float) -> Image.Exif:
    """EXIF with capture time and zone (Exif IFD) and GPS position and UTC time (GPS IFD)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Custos demo"
    exif[ExifTags.Base.Model] = "Generated image (fictional)"
    exif[ExifTags.Base.Software] = "custos demo load"
    exif[ExifTags.Base.ImageDescription] = EXIF_LABEL
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    stamp = local.strftime("%Y:%m:%d %H:%M:%S")
    offset = syria_utc_offset(local)
    sub[ExifTags.Base.DateTimeOriginal] = stamp
    sub[ExifTags.Base.DateTimeDigitized] = stamp
    sub[ExifTags.Base.OffsetTimeOriginal] = offset_text(offset)
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
    gps[ExifTags.GPS.GPSLatitude] = _dms(lat)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
    gps[ExifTags.GPS.GPSLongitude] = _dms(lon)
    utc = local - offset
    gps[ExifTags.GPS.GPSDateStamp] = utc.strftime("%Y:%m:%d")
    gps[ExifTags.GPS.GPSTimeStamp] = (
        _rational(utc.hour, 1),
        _rational(utc.minute, 1),
        _rational(utc.second, 1),
    )
    return exif


def demo_photo(incident: IncidentSpec, spec: PhotoSpec, index: int) -> DemoFile:
    """A labelled JPEG of the scene, with EXIF time and GPS matching the incident."""
    if spec.scene not in SCENES:
        raise MediaGenerationError(f"{spec.key}: unknown scene {spec.scene!r}")
    local = incident.local_start + timedelta(minutes=spec.minutes_after)
    lat, lon = photo_position(incident, index)
    image = _scene(spec.scene, random.Random(spec.key))  # noqa: S311 (drawing, not security)
    caption = f"Generated image, not a photograph · {incident.place} · {local:%Y-%m-%d %H:%M}"
    draw_label(image, caption)
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=72, exif=photo_exif(local, lat, lon))
    note = f"DEMO, fictional: generated image for the incident at {incident.place}"
    return DemoFile(
        filename=f"IMG_DEMO_{local:%Y%m%d_%H%M}_{spec.key}.jpg",
        data=out.getvalue(),
        client_facts=capture_facts(local, lat, lon, note),
    )


# --- Video and audio (ffmpeg) ---------------------------------------------------------------


def ffmpeg_path() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise MediaGenerationError("ffmpeg is not installed: run `make system-deps`")
    return path


def _run_ffmpeg(args: list[str], what: str) -> None:
    try:
        done = subprocess.run(
            [ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
            capture_output=True,
            timeout=FFMPEG_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise MediaGenerationError(f"ffmpeg took too long making {what}") from None
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip()[-300:]
        raise MediaGenerationError(f"ffmpeg could not make {what}: {tail}")


def _iso6709(lat: float, lon: float) -> str:
    return f"{lat:+08.4f}{lon:+09.4f}/"


def demo_video(incident: IncidentSpec, spec: VideoSpec) -> DemoFile:
    """A 3-second MP4 (H.264 + AAC, moov first) of a test pattern under the demo label."""
    local = incident.local_start + timedelta(minutes=spec.minutes_after)
    utc = local - syria_utc_offset(local)
    label = Image.new("RGBA", VIDEO_SIZE, (0, 0, 0, 0))
    draw_label(label, f"Generated video · {incident.place} · {local:%Y-%m-%d}")
    with tempfile.TemporaryDirectory(prefix="custos-demo-") as tmp:
        overlay, output = Path(tmp) / "label.png", Path(tmp) / "clip.mp4"
        label.save(overlay)
        width, height = VIDEO_SIZE
        pattern = f"testsrc=size={width}x{height}:rate=12:duration={CLIP_SECONDS}"
        _run_ffmpeg(
            [
                "-f", "lavfi", "-i", pattern,
                "-i", str(overlay),
                "-f", "lavfi", "-i", f"sine=frequency=330:duration={CLIP_SECONDS}",
                "-filter_complex", "[0:v][1:v]overlay=0:0,format=yuv420p[v]",
                "-map", "[v]", "-map", "2:a",
                "-c:v", "libx264", "-preset", "ultrafast", "-crf", "32",
                "-c:a", "aac", "-b:a", "32k", "-shortest",
                "-movflags", "+faststart",
                "-metadata", f"creation_time={utc:%Y-%m-%dT%H:%M:%S}Z",
                "-metadata", f"location={_iso6709(incident.lat, incident.lon)}",
                "-metadata", "title=DEMO - FICTIONAL generated video",
                "-metadata", f"comment={spec.note}",
                str(output),
            ],
            f"the demo video {spec.key}",
        )  # fmt: skip
        data = output.read_bytes()
    note = f"DEMO, fictional: {spec.note}"
    return DemoFile(
        filename=f"VID_DEMO_{local:%Y%m%d_%H%M}_{spec.key}.mp4",
        data=data,
        client_facts=capture_facts(local, incident.lat, incident.lon, note),
    )


def demo_audio(spec: AudioSpec) -> DemoFile:
    """A 3-second AAC tone in an M4A file: a stand-in for an interview recording, no voice."""
    with tempfile.TemporaryDirectory(prefix="custos-demo-") as tmp:
        output = Path(tmp) / "clip.m4a"
        utc = spec.recorded_at - syria_utc_offset(spec.recorded_at)
        # A tone whose loudness rises and falls a few times a second, roughly like speech.
        tone = "0.3*sin(2*PI*220*t)*(0.6+0.4*sin(2*PI*3*t))"
        _run_ffmpeg(
            [
                "-f", "lavfi", "-i", f"aevalsrc={tone}:s=16000:d={CLIP_SECONDS}",
                "-c:a", "aac", "-b:a", "32k",
                "-metadata", f"creation_time={utc:%Y-%m-%dT%H:%M:%S}Z",
                "-metadata", "title=DEMO - FICTIONAL recording (a tone, no voice)",
                "-metadata", f"comment={spec.note}",
                str(output),
            ],
            f"the demo recording {spec.key}",
        )  # fmt: skip
        data = output.read_bytes()
    facts = {
        "captured_at": spec.recorded_at.isoformat(timespec="seconds")
        + offset_text(syria_utc_offset(spec.recorded_at)),
        "device": "Custos demo generator (no real device)",
        "notes": f"DEMO, fictional: {spec.note}",
    }
    return DemoFile(
        filename=f"REC_DEMO_{spec.recorded_at:%Y%m%d_%H%M}_{spec.key}.m4a",
        data=data,
        client_facts=facts,
    )


def demo_document(spec: ResponseSpec) -> DemoFile:
    """The party's (fictional) statement as a plain-text document."""
    facts = {
        "captured_at": f"{spec.issued_on.isoformat()}T12:00:00+02:00",
        "notes": "DEMO, fictional: the accused party's public response (fictional text)",
    }
    return DemoFile(spec.filename, spec.text.encode("utf-8"), facts)
