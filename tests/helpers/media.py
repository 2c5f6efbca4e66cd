"""Real media for vault tests: JPEGs with EXIF GPS (Pillow), MP4s (ffmpeg), PNG bombs."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image, TiffImagePlugin

from app.crypto.age import AgeReader, BytesSource, Identity, encrypt_bytes

IDENTITY = Identity.generate()


def require_tool(name: str) -> str:
    """The path of a media tool; a missing one FAILS the test (it is a declared dependency)."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run `make system-deps`")
    return path


def age_reader(data: bytes) -> AgeReader:
    """The plaintext `data` as the vault serves it: encrypted, then read through AgeReader."""
    return AgeReader.open(BytesSource(encrypt_bytes(data, [IDENTITY.recipient])), [IDENTITY])


def _rational(value: float, denominator: int = 10000) -> TiffImagePlugin.IFDRational:
    return TiffImagePlugin.IFDRational(round(value * denominator), denominator)


def jpeg_with_exif(
    size: tuple[int, int] = (640, 480),
    latitude: tuple[float, float, float] = (36, 12, 7.5),
    latitude_ref: str = "N",
    longitude: tuple[float, float, float] = (37, 8, 3.25),
    longitude_ref: str = "E",
    captured: str = "2024:05:01 10:15:30",
    orientation: int = 1,
    xmp: bool = True,
    icc: bool = True,
) -> bytes:
    """A JPEG carrying EXIF (camera, capture time, GPS), an XMP packet, a comment and ICC."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1] // 3))  # so orientation shows
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "EOS 5D Mark IV"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Software] = "FieldCam 1.0"
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = captured
    sub[ExifTags.Base.OffsetTimeOriginal] = "+03:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = latitude_ref
    gps[ExifTags.GPS.GPSLatitude] = tuple(_rational(v) for v in latitude)
    gps[ExifTags.GPS.GPSLongitudeRef] = longitude_ref
    gps[ExifTags.GPS.GPSLongitude] = tuple(_rational(v) for v in longitude)
    gps[ExifTags.GPS.GPSAltitudeRef] = b"\x00"
    gps[ExifTags.GPS.GPSAltitude] = _rational(412.5, 10)
    extra = {}
    if xmp:
        extra["xmp"] = (
            b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
            b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b"<rdf:Description>WITNESS-XMP-MARKER</rdf:Description></rdf:RDF></x:xmpmeta>"
        )
    if icc:
        from PIL import ImageCms

        extra["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"WITNESS-COMMENT-MARKER", quality=90, **extra)
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (400, 300), mode: str = "RGBA") -> bytes:
    image = Image.new(mode, size, (10, 120, 10, 200) if mode == "RGBA" else (10, 120, 10))
    out = io.BytesIO()
    info = None
    if mode in ("RGB", "RGBA"):
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        info.add_text("Author", "WITNESS-PNG-TEXT-MARKER")
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 30_000) -> bytes:
    """A valid 1-bit PNG of side x side pixels (900 MP at the default) that is ~100 KB."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte + packed bits
    parts = [compressor.compress(row) for _ in range(side)]
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


def make_mp4(
    tmp_path: Path,
    seconds: float = 2.0,
    size: str = "320x240",
    creation_time: str | None = "2024-05-01T10:15:30.000000Z",
    location: str | None = "+36.2021+037.1343/",
    faststart: bool = False,
    audio: bool = True,
    noisy: bool = False,
) -> bytes:
    """A real H.264/AAC MP4 from ffmpeg's test sources (moov at the end unless faststart).

    noisy: add per-frame noise and encode losslessly, for a file of several megabytes.
    """
    ffmpeg = require_tool("ffmpeg")
    out = tmp_path / "sample.mp4"
    argv = [ffmpeg, "-v", "error", "-y", "-f", "lavfi"]
    noise = ",noise=alls=60:allf=t" if noisy else ""
    argv += ["-i", f"testsrc=size={size}:rate=25:duration={seconds}{noise}"]
    if audio:
        argv += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
        argv += ["-c:a", "aac"]
    argv += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast"]
    if noisy:
        argv += ["-qp", "0"]
    if creation_time:
        argv += ["-metadata", f"creation_time={creation_time}"]
    if location:
        argv += ["-metadata", f"location={location}"]
    if faststart:
        argv += ["-movflags", "+faststart"]
    argv.append(str(out))
    subprocess.run(argv, check=True, capture_output=True, timeout=120)
    return out.read_bytes()


def make_audio(tmp_path: Path, fmt: str, seconds: float = 1.5) -> bytes:
    """A short sine tone in one of ffmpeg's formats: "mp3", "ogg", "wav", "m4a"."""
    ffmpeg = require_tool("ffmpeg")
    out = tmp_path / f"tone.{fmt}"
    codec = {"mp3": "libmp3lame", "ogg": "libvorbis", "wav": "pcm_s16le", "m4a": "aac"}[fmt]
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency=300:duration={seconds}"]
        + ["-c:a", codec, str(out)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out.read_bytes()


def heic_with_exif(**kwargs) -> bytes:
    """The JPEG of jpeg_with_exif re-encoded as an iPhone-style HEIC, EXIF and all."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    image = Image.open(io.BytesIO(jpeg_with_exif(**kwargs)))
    out = io.BytesIO()
    image.save(out, "HEIF", exif=image.info["exif"], quality=80)
    return out.getvalue()


def make_photo_evidence(investigation, user, data: bytes | None = None, filename: str = "a.jpg"):
    """A photo evidence item made through the real intake (so with its derivatives)."""
    from app.extensions import db
    from app.security import org_keys
    from app.vault.models import EvidenceItem
    from app.vault.upload.stream import begin_intake

    if not org_keys.keys_initialised():
        org_keys.init_keys(org_keys.keys_dir(), org_keys.master_key())
    data = data or jpeg_with_exif()
    writer = begin_intake(investigation, user, filename, None, len(data))
    writer.write(data)
    item_id = writer.finish().id
    db.session.expire_all()
    return db.session.get(EvidenceItem, item_id)
