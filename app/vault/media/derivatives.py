"""Derivatives of evidence: thumbnails, video poster frames and metadata-stripped photo copies.

A derivative is a new file made from an original and linked to it; it never replaces it
(issue 3, item 7). Each is encrypted like the original (write_encrypted) and its creation is
recorded in the custody ledger with the parent's and the child's SHA-256.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

from app.custody.ledger import append_custody_event
from app.extensions import db
from app.vault.media.av_metadata import plaintext_for_tools
from app.vault.media.metadata import open_image
from app.vault.media.mp4_layout import MissingIndex, Ranges
from app.vault.media.tools import MediaToolError, input_args, run_on_stream, tool_path
from app.vault.models import Derivative, DerivativeKind, EvidenceItem
from app.vault.storage import StoredBlob, write_encrypted

if TYPE_CHECKING:
    from PIL import Image

THUMBNAIL_MAX_PX = 320
THUMBNAIL_QUALITY = 85
STRIPPED_JPEG_QUALITY = 92
# A poster frame needs the first video frame only; a file that takes longer is not a video
# worth waiting for (the thumbnail is then simply missing, the original is untouched).
POSTER_TIMEOUT_SECONDS = 120
_POSTER_MAX_OUTPUT = 32 * 1024 * 1024


class DerivativeError(ValueError):
    """A derivative could not be made; the message says why (no filenames, no content)."""


# --- Making the bytes ---------------------------------------------------------------------------


def photo_thumbnail(file: IO[bytes]) -> bytes:
    """A JPEG at most THUMBNAIL_MAX_PX on its longest side, upright, with no metadata."""
    from app.vault.media.pillow import Image, ImageOps

    image = _open_for_derivative(file)
    with image:
        # Shrink first (in place; JPEGs decode at 1/2, 1/4 or 1/8 scale straight from the
        # DCT, so a 50 MP photo needs a few MB instead of 150), then turn upright: rotating
        # 320 px costs nothing, and the square bound is the same either way round.
        image.thumbnail((THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX), Image.Resampling.LANCZOS)
        clean = _pixels_only(_flatten(ImageOps.exif_transpose(image)))
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return out.getvalue()


def stripped_photo(file: IO[bytes]) -> tuple[bytes, str]:
    """A re-encoded copy with every metadata field gone: (bytes, media type).

    Removed: EXIF (with GPS, camera serials, capture time), XMP, IPTC, comments, PNG text
    chunks and the ICC profile. The pixels are turned upright first (the orientation tag
    goes with the EXIF) and converted to sRGB when a profile was embedded, so the copy looks
    like the original. PNG stays PNG (lossless, keeps transparency); everything else
    becomes JPEG.
    """
    from app.vault.media.pillow import ImageOps

    image = _open_for_derivative(file)
    with image:
        source_format = image.format
        icc = image.info.get("icc_profile")
        upright = ImageOps.exif_transpose(image)
    # Each step drops the previous full-size copy, so at most two are alive at once (a
    # 48 MP photo is 144 MB per copy decoded).
    upright = _to_srgb(upright, icc)
    upright = _flatten(upright, keep_alpha=source_format == "PNG")
    clean = _pixels_only(upright)
    del upright
    out = io.BytesIO()
    if source_format == "PNG":
        clean.save(out, "PNG", optimize=False)
        return out.getvalue(), "image/png"
    clean.save(out, "JPEG", quality=STRIPPED_JPEG_QUALITY)
    return out.getvalue(), "image/jpeg"


def video_poster(source: Ranges, media_type: str) -> bytes:
    """The first frame of a video as a thumbnail JPEG, decoded by ffmpeg from a pipe."""
    argv = [
        tool_path("ffmpeg"),
        "-v",
        "error",
        *input_args(media_type, "ffmpeg"),
        "-map",
        "0:v:0",
        "-frames:v",
        "1",
        "-vf",
        f"scale=w='min({THUMBNAIL_MAX_PX},iw)':h='min({THUMBNAIL_MAX_PX},ih)'"
        ":force_original_aspect_ratio=decrease",
        "-map_metadata",
        "-1",
        "-f",
        "image2pipe",
        "-c:v",
        "png",
        "pipe:1",
    ]
    try:
        run = run_on_stream(
            argv,
            plaintext_for_tools(source, media_type),
            POSTER_TIMEOUT_SECONDS,
            _POSTER_MAX_OUTPUT,
        )
    except (MediaToolError, MissingIndex) as exc:
        raise DerivativeError(str(exc)) from None
    if run.returncode != 0 or not run.stdout:
        last = run.stderr.splitlines()[-1] if run.stderr else "no video frame could be decoded"
        raise DerivativeError(f"ffmpeg: {last[:300]}")
    return photo_thumbnail(io.BytesIO(run.stdout))


def _open_for_derivative(file: IO[bytes]) -> Image.Image:
    try:
        return open_image(file)
    except (OSError, ValueError) as exc:  # MediaRefused is a ValueError
        raise DerivativeError(f"cannot read the image: {exc}") from None


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    from app.vault.media.pillow import ImageCms

    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(
            image, source_profile, ImageCms.createProfile("sRGB"), outputMode=output_mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        # A broken or unusual profile: keep the pixels as they are. The profile itself is
        # still dropped below, which is the point of the stripped copy.
        return image
    return converted if converted is not None else image


def _flatten(image: Image.Image, keep_alpha: bool = False) -> Image.Image:
    """RGB (or RGBA when kept), whatever the source mode (P, LA, CMYK, I;16, ...)."""
    from app.vault.media.pillow import Image

    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        if keep_alpha:
            return rgba
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: scale to 8 bits before the RGB conversion Pillow lacks for it.
        image = image.point(lambda value: value / 256).convert("L")
    return image if image.mode == "RGB" else image.convert("RGB")


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image holding the pixels and nothing else: no info dict, no EXIF, no profile."""
    from app.vault.media.pillow import Image

    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    clean.info.clear()
    return clean


# --- Storing them -------------------------------------------------------------------------------


def store_derivative(
    item: EvidenceItem,
    kind: DerivativeKind,
    media_type: str,
    data: bytes,
    actor: Any,
    removed: dict[str, Any] | None = None,
) -> Derivative:
    """Encrypt a derivative held in memory (a thumbnail, a photo): see store_derivative_chunks."""
    derivative = store_derivative_chunks(item, kind, media_type, [data], actor, removed)
    if derivative.sha256 != hashlib.sha256(data).hexdigest() or derivative.size != len(data):
        raise DerivativeError("the blob store recorded a different hash or size")
    return derivative


def store_derivative_chunks(
    item: EvidenceItem,
    kind: DerivativeKind,
    media_type: str,
    chunks: Iterable[bytes],
    actor: Any,
    removed: dict[str, Any] | None = None,
) -> Derivative:
    """Encrypt a derivative into the blob store, link it to its parent, record its creation.

    `chunks` is consumed as it comes (a redacted video streams out of ffmpeg), and hashed on
    the way. `removed` says what a redacted copy no longer holds; it goes into the ledger entry.
    Added to the caller's transaction (the caller commits). The blob is durable before the
    row exists; if the transaction then fails, the blob is an orphan for `blobs gc`. If the
    chunks fail midway, nothing is stored.
    """
    return record_derivative(item, kind, media_type, write_encrypted(chunks), actor, removed)


def record_derivative(
    item: EvidenceItem,
    kind: DerivativeKind,
    media_type: str,
    stored: StoredBlob,
    actor: Any,
    removed: dict[str, Any] | None = None,
) -> Derivative:
    """The row and ledger entry of a derivative whose blob is already durable (see
    store_derivative_chunks; a redacted PDF is written through an EncryptedBlobWriter)."""
    derivative = Derivative(
        evidence_id=item.id,
        investigation_id=item.investigation_id,
        kind=kind.value,
        media_type=media_type,
        size=stored.size,
        sha256=stored.sha256,
        blob_key=stored.key,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(derivative)
    details: dict[str, Any] = {
        "derivative_id": derivative.id,
        "kind": kind.value,
        "media_type": media_type,
        "parent_sha256": item.sha256,
        "child_sha256": stored.sha256,
        "size": stored.size,
    }
    if removed is not None:
        details["removed"] = removed
    # The ledger's object is always the evidence item, so one filter on it gives the item's
    # whole history; the derivative is named in the details.
    append_custody_event(
        item.investigation_id, actor, "derivative_created", "evidence", item.id, details
    )
    return derivative
