"""A review copy of a photo for the redaction page: upright, bounded in size, no metadata.

Showing evidence is a read of its content, so it is recorded in the custody ledger (viewed).
"""

from __future__ import annotations

import io
from typing import Any

from app.casefiles.services.errors import CaseFileError
from app.custody.ledger import append_custody_event

PREVIEW_MAX_PX = 1600


def photo_preview(evidence: Any, user: Any, casefile: Any) -> bytes:
    from app.vault.media.metadata import open_image
    from app.vault.media.pillow import Image, ImageOps
    from app.vault.storage import open_plaintext

    with open_plaintext(evidence.blob_key).as_file() as plaintext:
        try:
            image = open_image(plaintext)
        except (OSError, ValueError) as exc:
            raise CaseFileError(f"The photo cannot be read: {type(exc).__name__}.") from None
        with image:
            if image.format == "JPEG":
                image.draft("RGB", (PREVIEW_MAX_PX, PREVIEW_MAX_PX))
            upright = ImageOps.exif_transpose(image).convert("RGB")
    upright.thumbnail((PREVIEW_MAX_PX, PREVIEW_MAX_PX), Image.Resampling.LANCZOS)
    clean = Image.new("RGB", upright.size)
    clean.paste(upright)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=85)
    append_custody_event(
        evidence.investigation_id,
        user,
        "viewed",
        "evidence",
        evidence.id,
        {"purpose": "redaction", "casefile_id": casefile.id},
    )
    return out.getvalue()
