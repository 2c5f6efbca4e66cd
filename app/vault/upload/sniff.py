"""Type detection from the bytes (libmagic), the intake allow-list, and image-size sanity checks.

The file name and the client's Content-Type are never trusted: a shell script renamed
photo.jpg is a shell script. Detection looks at the first SNIFF_BYTES only, so intake can
decide before it stores anything, while holding no more than that in memory.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib
from dataclasses import dataclass

import magic

from app.vault.upload.refusals import IntakeRefused

# One age chunk: enough for libmagic's tests on every allowed container (their signatures
# sit in the first few KiB), and small enough that a resumable upload keeps it in its
# unsealed tail until the type is known.
SNIFF_BYTES = 64 * 1024

PHOTO, VIDEO, AUDIO, DOCUMENT = "photo", "video", "audio", "document"
WEB_CAPTURE = "web_capture"

# Web captures (docs/webcapture.md): a WARC file, plain or gzipped, and a WACZ package. libmagic
# names the last two "application/gzip" and "application/zip" like any archive; only a gzip that
# opens on a WARC header and a zip laid out as a WACZ are admitted (see _web_capture_type).
WACZ, WARC, WARC_GZIP = "application/wacz", "application/warc", "application/warc+gzip"
# The names a WACZ 1.1.1 package holds (its directories and its two JSON files at the top).
_WACZ_TOP_LEVEL = ("archive/", "indexes/", "pages/", "datapackage.json", "datapackage-digest.json")

# ProofMode bundles (docs/provenance.md): a zip of one capture and its proof files. Only a zip
# whose members seen in the prefix are proof files or captured media is admitted; the bundle
# is verified in full after intake (app/provenance/proofmode.py). A member is known by its name
# (proof files, media with a media extension) or, when the name says nothing, by its content:
# libmagic on its first bytes, inflated from the prefix no further than SNIFF_BYTES, as for any
# upload. Phones and share sheets name media freely, without an extension too.
PROOFMODE = "application/vnd.proofmode+zip"
_PROOFMODE_NAME = re.compile(
    r"^(?:[0-9a-f]{64}\.(?:proof\.json|proof\.csv|proof\.json\.asc|proof\.csv\.asc|asc|ots|gst)"
    r"|pubkey\.asc|.*\.devicecheck|c2paidentity\.cert"
    r"|[^/]+\.(?:jpe?g|png|heic|heif|webp|mp4|mov|3gp|webm|m4a|aac|mp3|wav|amr|ogg)(?:\.asc)?)$",
    re.IGNORECASE,
)
_PGP_ARMOR = b"-----BEGIN PGP "
# Captured media a phone may put in a bundle beyond the types Custos takes on their own.
_BUNDLE_ONLY_MEDIA = frozenset({"video/3gpp", "audio/3gpp"})
# The most members a bundle may hold (app/provenance/proofmode.py LIMITS): a prefix showing
# more is no bundle, and no more than this many members are ever inflated here.
_PROOFMODE_MAX_MEMBERS = 64

# libmagic's answer -> (the media type we store and serve, the kind of evidence).
ALLOWED_TYPES: dict[str, tuple[str, str]] = {
    "image/jpeg": ("image/jpeg", PHOTO),
    "image/png": ("image/png", PHOTO),
    "image/heic": ("image/heic", PHOTO),
    "image/heif": ("image/heif", PHOTO),
    "image/webp": ("image/webp", PHOTO),
    "video/mp4": ("video/mp4", VIDEO),
    "video/x-m4v": ("video/mp4", VIDEO),
    "video/quicktime": ("video/quicktime", VIDEO),
    "video/webm": ("video/webm", VIDEO),
    "video/x-matroska": ("video/x-matroska", VIDEO),
    "video/ogg": ("video/ogg", VIDEO),
    "audio/mpeg": ("audio/mpeg", AUDIO),
    "audio/x-m4a": ("audio/mp4", AUDIO),
    "audio/mp4": ("audio/mp4", AUDIO),
    "audio/ogg": ("audio/ogg", AUDIO),
    "application/ogg": ("audio/ogg", AUDIO),
    "audio/x-wav": ("audio/wav", AUDIO),
    "audio/wav": ("audio/wav", AUDIO),
    "audio/vnd.wave": ("audio/wav", AUDIO),
    "audio/amr": ("audio/amr", AUDIO),
    "application/pdf": ("application/pdf", DOCUMENT),
    "text/plain": ("text/plain", DOCUMENT),
    # libmagic calls prose with enough commas per line CSV; it is plain text all the same, and
    # is stored and served as text/plain.
    "text/csv": ("text/plain", DOCUMENT),
    "application/warc": (WARC, WEB_CAPTURE),
}

# The file-name extensions that agree with each stored media type; the first is the one a
# download name gets when the original name's extension disagrees with the bytes.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "image/jpeg": ("jpg", "jpeg", "jpe", "jfif"),
    "image/png": ("png",),
    "image/heic": ("heic", "heif"),
    "image/heif": ("heif", "heic"),
    "image/webp": ("webp",),
    "video/mp4": ("mp4", "m4v"),
    "video/quicktime": ("mov", "qt"),
    "video/webm": ("webm",),
    "video/x-matroska": ("mkv",),
    "video/ogg": ("ogv", "ogg"),
    "audio/mpeg": ("mp3",),
    "audio/mp4": ("m4a", "mp4", "aac"),
    "audio/ogg": ("ogg", "oga", "opus"),
    "audio/wav": ("wav",),
    "audio/amr": ("amr",),
    "application/pdf": ("pdf",),
    # Not .csv: a spreadsheet opening "text" evaluates =formulas in it (CSV injection).
    "text/plain": ("txt", "text", "log"),
    WACZ: ("wacz",),
    WARC: ("warc",),
    WARC_GZIP: ("gz",),
    PROOFMODE: ("zip",),
}

ACCEPTED_SUMMARY = (
    "Custos accepts photos (JPEG, PNG, HEIC, WebP), videos (MP4, MOV, WebM, MKV), "
    "audio (MP3, M4A, OGG, WAV, AMR), PDF documents, plain text, web captures (WACZ, "
    "WARC) and ProofMode bundles."
)

# What a refused type is, in words a field worker understands.
_DESCRIPTIONS = {
    "text/html": "an HTML page",
    "image/svg+xml": "an SVG drawing (SVG files can carry scripts)",
    "text/x-shellscript": "a shell script",
    "application/x-executable": "a program",
    "application/x-pie-executable": "a program",
    "application/x-sharedlib": "a program library",
    "application/x-dosexec": "a Windows program",
    "application/javascript": "a script",
    "text/javascript": "a script",
    "application/zip": "a ZIP archive",
    "application/x-rar": "a RAR archive",
    "application/x-7z-compressed": "a 7-Zip archive",
    "application/gzip": "a compressed archive",
    "application/octet-stream": "data of no recognisable type",
    "text/xml": "an XML document",
    "application/xml": "an XML document",
}


@dataclass(frozen=True)
class DetectedType:
    media_type: str
    kind: str


def describe(mime: str) -> str:
    if mime in _DESCRIPTIONS:
        return _DESCRIPTIONS[mime]
    if mime.startswith("text/x-"):
        return "a script or source code"
    return f"a file of type {mime}"


def libmagic_type(prefix: bytes) -> str:
    """libmagic's MIME type for the leading bytes of a file."""
    return magic.from_buffer(prefix[:SNIFF_BYTES], mime=True)


def detect_type(prefix: bytes) -> DetectedType:
    """The allowed type of a file from its first bytes; IntakeRefused if it is not allowed."""
    mime = libmagic_type(prefix)
    allowed = ALLOWED_TYPES.get(mime) or _web_capture_type(mime, prefix)
    if allowed is None:
        raise IntakeRefused(
            "type_not_allowed",
            f"This file is {describe(mime)}, judged from its contents (not its name). "
            f"{ACCEPTED_SUMMARY}",
        )
    detected = DetectedType(*allowed)
    if detected.kind == PHOTO:
        check_image_dimensions(prefix)
    return detected


def _web_capture_type(mime: str, prefix: bytes) -> tuple[str, str] | None:
    """A gzip holding a WARC, or a zip whose leading members are a WACZ's; else None."""
    if mime == "application/gzip" and _gunzipped_start(prefix).startswith(b"WARC/1."):
        return WARC_GZIP, WEB_CAPTURE
    if mime == "application/zip" and _is_wacz_layout(prefix):
        return WACZ, WEB_CAPTURE
    if mime == "application/zip" and _is_proofmode_layout(prefix):
        return PROOFMODE, DOCUMENT
    return None


def _gunzipped_start(prefix: bytes) -> bytes:
    try:
        return zlib.decompressobj(wbits=31).decompress(prefix, 16)
    except zlib.error:
        return b""


@dataclass(frozen=True)
class _ZipEntry:
    name: str
    method: int
    data: bytes  # its compressed data as far as the prefix holds it

    def head(self) -> bytes | None:
        """Its first bytes, inflated no further than SNIFF_BYTES (all a zip bomb can cost
        here); None when the prefix holds none of its data or the method is not deflate."""
        if not self.data or self.method not in (0, 8):
            return None
        if self.method == 0:
            return self.data[:SNIFF_BYTES]
        try:
            return zlib.decompressobj(wbits=-15).decompress(self.data, SNIFF_BYTES)
        except zlib.error:
            return b""  # corrupt: judged as what it is, data of no type


def _zip_entries(prefix: bytes) -> list[_ZipEntry]:
    """The zip members whose local headers sit in the prefix, in order, each with the start of
    its data. A member whose sizes follow its data (flag bit 3) ends the walk."""
    entries, offset = [], 0
    while prefix[offset : offset + 4] == b"PK\x03\x04" and offset + 30 <= len(prefix):
        flags, method, compressed, name_length, extra_length = struct.unpack_from(
            "<2xHH8xI4xHH", prefix, offset + 4
        )
        name = prefix[offset + 30 : offset + 30 + name_length]
        if len(name) < name_length:
            break
        start = offset + 30 + name_length + extra_length
        data = prefix[start:] if flags & 0x08 else prefix[start : start + compressed]
        entries.append(_ZipEntry(name.decode("utf-8", "replace"), method, data))
        if flags & 0x08:
            break
        offset = start + compressed
    return entries


def _zip_names(prefix: bytes) -> list[str]:
    """The names of the zip members whose local headers sit in the prefix, in order."""
    return [entry.name for entry in _zip_entries(prefix)]


def _is_wacz_layout(prefix: bytes) -> bool:
    """Every zip member whose local header sits in the prefix has a WACZ name (at least one).

    The package itself is checked in full after intake (app/webcapture); this only keeps an
    arbitrary zip out.
    """
    names = _zip_names(prefix)
    return bool(names) and all(
        n.startswith(_WACZ_TOP_LEVEL[:3]) or n in _WACZ_TOP_LEVEL[3:] for n in names
    )


def _is_proofmode_layout(prefix: bytes) -> bool:
    """Every zip member seen in the prefix is a ProofMode proof file or captured media (at
    least one): a bundle whose media comes first may show nothing else in the prefix."""
    entries = _zip_entries(prefix)
    if not entries or len(entries) > _PROOFMODE_MAX_MEMBERS:
        return False
    return all(_is_proofmode_member(entry) for entry in entries)


def _is_proofmode_member(entry: _ZipEntry) -> bool:
    """Known by name, else by content: captured media, or an armored OpenPGP signature."""
    name = entry.name.rsplit("/", 1)[-1]
    if _PROOFMODE_NAME.match(name):
        return True
    head = entry.head()
    if not head:
        return False
    if name.lower().endswith(".asc"):  # the signature of media named without an extension
        return head.startswith(_PGP_ARMOR)
    mime = libmagic_type(head)
    return ALLOWED_TYPES.get(mime, ("", ""))[1] in (PHOTO, VIDEO, AUDIO) or (
        mime in _BUNDLE_ONLY_MEDIA
    )


def check_image_dimensions(prefix: bytes) -> None:
    """Refuse an image whose header declares absurd dimensions (a decompression bomb).

    Pillow's own rule decides what is absurd: more than twice Image.MAX_IMAGE_PIXELS
    (which the media module may lower). When the header is not within the prefix (a JPEG
    with a large EXIF block), there is no verdict here and the media step applies the limit.
    """
    from app.vault.media.pillow import Image, UnidentifiedImageError  # with Custos's limit set

    with warnings.catch_warnings():
        # Between 1x and 2x the limit Pillow only warns; such images are accepted here.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(prefix)) as image:
                image.size  # noqa: B018 (the header is parsed by open; size is the check)
        except Image.DecompressionBombError:
            raise IntakeRefused(
                "image_too_large",
                "This image declares dimensions so large that decoding it would exhaust the "
                "server's memory (a 'decompression bomb'). If it is a genuine image, export a "
                "smaller copy and upload that.",
            ) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            return  # header not in the prefix, or a format Pillow lacks a plugin for
