"""The processing step that hashes a photo or a video's frames with PDQ and stores them."""

from __future__ import annotations

import hashlib
import io
import json
import logging

from sqlalchemy import select

from app.crypto.age import AgeReader
from app.crypto.canonical import canonical_json
from app.custody.ledger import append_custody_event
from app.duplicates.frames import FRAME_SIDE, FramesUnavailable, sample_frames
from app.duplicates.matching import MIN_QUALITY
from app.duplicates.models import FingerprintFrame, FingerprintStatus, MediaFingerprint
from app.duplicates.pdq import ALGORITHM, PictureHash, hash_picture, hash_rgb_frame
from app.duplicates.pdq import implementation as pdq_implementation
from app.duplicates.pdq_index import index_frames
from app.duplicates.suggestions import suggest_near_duplicates
from app.extensions import db
from app.vault.media.metadata import open_image
from app.vault.media.tools import MediaToolMissing
from app.vault.models import EvidenceItem, EvidenceKind

log = logging.getLogger(__name__)

ACTOR = "system:media-processing"


def fingerprint_step(item: EvidenceItem, reader: AgeReader) -> None:
    """Hash the item once per implementation, then look for near-duplicates of it."""
    if item.kind not in (EvidenceKind.PHOTO, EvidenceKind.VIDEO):
        return  # nothing to hash, nothing imported: a document's intake never loads numpy
    from app.vault.media.pillow import UnidentifiedImageError

    implementation = pdq_implementation()
    done = db.session.scalar(
        select(MediaFingerprint.id).where(
            MediaFingerprint.evidence_id == item.id,
            MediaFingerprint.implementation == implementation,
        )
    )
    if done is not None:
        return
    fingerprint = MediaFingerprint(
        evidence_id=item.id,
        investigation_id=item.investigation_id,
        algorithm=ALGORITHM,
        implementation=implementation,
        status=FingerprintStatus.FAILED.value,
    )
    try:
        hashes = list(_hashes(item, reader))
    except (FramesUnavailable, MediaToolMissing, UnidentifiedImageError, OSError, ValueError) as e:
        fingerprint.reason = str(e)[:300] or type(e).__name__
        hashes = []
    for position, picture in hashes:
        fingerprint.frames.append(
            FingerprintFrame(
                position=position,
                quality=picture.quality,
                hash_hex=picture.hash_hex,
                dihedral_hex="".join(picture.dihedral),
            )
        )
    if hashes:
        usable = any(p.quality >= MIN_QUALITY for _, p in hashes)
        fingerprint.status = (
            FingerprintStatus.HASHED.value if usable else FingerprintStatus.FEATURELESS.value
        )
        if not usable:
            fingerprint.reason = "too featureless to compare (PDQ quality below 50)"
    db.session.add(fingerprint)
    db.session.flush()
    append_custody_event(
        item.investigation_id,
        ACTOR,
        "fingerprinted",
        "evidence",
        item.id,
        {
            "sha256": item.sha256,
            "algorithm": ALGORITHM,
            "implementation": implementation,
            "status": fingerprint.status,
            "frames": len(hashes),
            "hashes_sha256": _hashes_digest(hashes),
        },
    )
    if fingerprint.status == FingerprintStatus.HASHED.value:
        index_frames(fingerprint)
        suggest_near_duplicates(item, fingerprint)
    else:
        log.info("evidence %s not hashed for near-duplicates: %s", item.id, fingerprint.status)


def _hashes(item: EvidenceItem, reader: AgeReader):
    if item.kind == EvidenceKind.PHOTO:
        with io.BufferedReader(reader.as_file(), buffer_size=65536) as file:
            image = open_image(file)
            with image:
                image.draft("RGB", (1024, 1024))  # JPEGs decode straight at a smaller scale
                yield 0, hash_picture(image)
        return
    duration = _duration(item)
    for second, pixels in sample_frames(reader, item.media_type, duration):
        yield second, hash_rgb_frame(pixels, FRAME_SIDE, FRAME_SIDE)


def _duration(item: EvidenceItem) -> float | None:
    try:
        fields = json.loads(item.extracted_metadata or "{}").get("fields") or {}
    except ValueError:
        return None
    value = fields.get("duration_seconds")
    return float(value) if isinstance(value, int | float) else None


def _hashes_digest(hashes: list[tuple[int, PictureHash]]) -> str:
    document = [{"position": p, "quality": h.quality, "pdq": h.hash_hex} for p, h in hashes]
    return hashlib.sha256(canonical_json(document)).hexdigest()
