"""Media metadata read from evidence bytes: EXIF for photos (Pillow), ffprobe for video and audio.

What is extracted here is what the FILE says. What the client reported at upload (device
time, GPS, who captured) is kept separately in EvidenceItem.client_facts; the two are shown
side by side and never merged (issue 3, item 6). Nothing here writes plaintext to disk:
Pillow reads a seekable decrypting file object, ffprobe reads a pipe.
"""

from __future__ import annotations

import functools
import io
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from app.vault.media.av_metadata import extract_av
from app.vault.media.extraction import (
    FAILED,
    MAX_IMAGE_PIXELS,
    OK,
    REFUSED,
    UNSUPPORTED,
    Extraction,
    MediaRefused,
    as_float,
    as_int,
)

if TYPE_CHECKING:
    from PIL import Image


def pillow_extractor() -> str:
    from app.vault.media.pillow import VERSION

    return f"Pillow {VERSION}"


@functools.cache
def heif_extractor() -> str:
    """Teach Pillow HEIC/HEIF (iPhones' default photo format), once, when first needed.

    Loaded lazily: libheif adds ~4 MB to every worker, and most workers never see a HEIC.
    """
    import pillow_heif

    pillow_heif.register_heif_opener()
    return f"{pillow_extractor()} + pillow-heif {pillow_heif.__version__}"


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
    from app.vault.media.pillow import Image

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
    from app.vault.media.pillow import UnidentifiedImageError

    extractor = pillow_extractor()
    try:
        image = open_image(file)
    except MediaRefused as exc:
        return Extraction(REFUSED, extractor, reason=str(exc))
    except (UnidentifiedImageError, OSError) as exc:
        return Extraction(UNSUPPORTED, extractor, reason=_pillow_reason(exc))
    with image:
        try:
            exif = image.getexif()
        except (OSError, SyntaxError, ValueError) as exc:
            return Extraction(FAILED, extractor, reason=f"unreadable EXIF: {exc}")
        fields: dict[str, Any] = {
            "format": image.format,
            "width": image.size[0],
            "height": image.size[1],
        }
        fields.update(exif_fields(exif))
    if fields["format"] == "HEIF":
        extractor = heif_extractor()
    return Extraction(OK, extractor, {k: v for k, v in fields.items() if v is not None})


def _pillow_reason(exc: Exception) -> str:
    from app.vault.media.pillow import UnidentifiedImageError

    if isinstance(exc, UnidentifiedImageError):
        return "the image library cannot decode this file (unknown or damaged image data)"
    return f"unreadable image: {exc}"


def exif_fields(exif: Image.Exif) -> dict[str, Any]:
    """Normalised EXIF facts; raw strings as the camera wrote them, numbers as floats."""
    from app.vault.media.pillow import ExifTags

    base = ExifTags.Base
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    out: dict[str, Any] = {
        "make": _text(exif.get(base.Make)),
        "model": _text(exif.get(base.Model)),
        "software": _text(exif.get(base.Software)),
        "orientation": as_int(exif.get(base.Orientation)),
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
    from app.vault.media.pillow import ExifTags

    tags = ExifTags.GPS
    latitude = _dms_to_degrees(gps.get(tags.GPSLatitude), gps.get(tags.GPSLatitudeRef), "S")
    longitude = _dms_to_degrees(gps.get(tags.GPSLongitude), gps.get(tags.GPSLongitudeRef), "W")
    if latitude is None or longitude is None:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    out: dict[str, Any] = {"latitude": round(latitude, 7), "longitude": round(longitude, 7)}
    altitude = as_float(gps.get(tags.GPSAltitude))
    if altitude is not None:
        below_sea = gps.get(tags.GPSAltitudeRef) in (1, b"\x01")
        out["altitude_m"] = round(-altitude if below_sea else altitude, 2)
    date = _text(gps.get(tags.GPSDateStamp))
    time = gps.get(tags.GPSTimeStamp)
    if date and isinstance(time, tuple) and len(time) == 3:
        parts = [as_float(v) for v in time]
        if all(p is not None for p in parts):
            h, m, s = parts
            out["gps_time_utc"] = f"{date.replace(':', '-')}T{int(h):02d}:{int(m):02d}:{s:06.3f}Z"
    return out


def _dms_to_degrees(value: Any, ref: Any, negative_ref: str) -> float | None:
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    parts = [as_float(v) for v in value]
    if any(p is None for p in parts):
        return None
    degrees = parts[0] + parts[1] / 60 + parts[2] / 3600
    ref_text = _text(ref) or ""
    return -degrees if ref_text.upper().startswith(negative_ref) else degrees


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


# --- Dispatch -----------------------------------------------------------------------------------


def extract_metadata(kind: str, media_type: str, reader: Any) -> Extraction:
    """Metadata of one evidence item from its plaintext (an AgeReader or the same shape)."""
    if kind == "photo":
        with io.BufferedReader(reader.as_file(), buffer_size=65536) as file:
            return extract_photo(file)
    if kind in ("video", "audio"):
        return extract_av(reader, media_type)
    return Extraction(UNSUPPORTED, "none", reason=f"no metadata extractor for {kind} files")
