"""After intake: extract an item's metadata and make its derivatives, recorded in the ledger.

`process_new_evidence` is a plain function of an evidence id so that it can run in-process
after intake commits (today) or on an RQ worker (a later issue) unchanged. It is idempotent:
an item already processed is left alone, and a derivative kind that exists is not remade.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Callable

from sqlalchemy import select

from app.crypto.age import AgeReader
from app.custody.ledger import append_custody_event, appends_at_the_end
from app.extensions import db
from app.security.org_keys import ReadsDisabled
from app.vault.hooks import run_processing_steps
from app.vault.media.derivatives import (
    DerivativeError,
    photo_thumbnail,
    store_derivative,
    stripped_photo,
    video_poster,
)
from app.vault.media.extraction import OK, REFUSED, Extraction
from app.vault.media.metadata import extract_metadata
from app.vault.models import DerivativeKind, EvidenceItem, EvidenceKind
from app.vault.reading.evidence import close_reader, open_verified

log = logging.getLogger(__name__)

# The ledger's actor for work no person did by hand.
PROCESSING_ACTOR = "system:media-processing"


def process_new_evidence(evidence_id: str) -> None:
    """Extract metadata and make derivatives; their ledger entries and one commit at the end.

    On an intake-only node nothing can be decrypted: the item is left unprocessed (its
    extracted_metadata stays empty) for a reading node to process later.
    """
    item = db.session.get(EvidenceItem, evidence_id)
    if item is None:
        raise LookupError(f"no evidence item {evidence_id}")
    try:
        reader = open_verified(item.id, item.blob_key, item.size)
    except ReadsDisabled:
        log.info("evidence %s left unprocessed: intake-only node", evidence_id)
        return
    # The ledger entries are made after the slow work, so the investigation's ledger head is
    # locked for the commit, not for the decoding, hashing and blob writes.
    try:
        with appends_at_the_end():
            _process(item, reader)
    finally:
        close_reader(reader)
    db.session.commit()


def _process(item: EvidenceItem, reader: AgeReader) -> None:
    if item.extracted_metadata is None:
        status = record_extraction(item, extract_metadata(item.kind, item.media_type, reader))
    else:
        status = json.loads(item.extracted_metadata).get("status")
    if status != REFUSED:  # a refused file (decompression bomb) is not decoded at all
        make_derivatives(item, reader)
        # Steps of packages above the vault: PDQ hashes, consistency checks (each idempotent).
        run_processing_steps(item, reader)


def pending_evidence_ids(limit: int | None = None, include_processed: bool = False) -> list[str]:
    """Items never processed (received on an intake-only node, or processing crashed), or
    with include_processed every item, oldest first (steps added later catch up)."""
    stmt = select(EvidenceItem.id)
    if not include_processed:
        stmt = stmt.where(EvidenceItem.extracted_metadata.is_(None))
    stmt = stmt.order_by(EvidenceItem.received_at, EvidenceItem.id).limit(limit)
    return list(db.session.scalars(stmt))


def record_extraction(item: EvidenceItem, extraction: Extraction) -> str:
    """Store the metadata (encrypted column) and commit to it in the ledger by its hash.

    The ledger travels with exports; GPS and device facts may point at a witness, so the
    entry carries the hash of the stored JSON, not the values.
    """
    text = extraction.to_json()
    item.extracted_metadata = text
    details = {
        "sha256": item.sha256,
        "status": extraction.status,
        "extractor": extraction.extractor,
        "metadata_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "fields": sorted(extraction.fields),
    }
    if extraction.reason:
        details["reason"] = extraction.reason[:300]
    append_custody_event(
        item.investigation_id, PROCESSING_ACTOR, "metadata_extracted", "evidence", item.id, details
    )
    if extraction.status != OK:
        log.info("evidence %s metadata %s: %s", item.id, extraction.status, extraction.reason)
    return extraction.status


def make_derivatives(item: EvidenceItem, reader: AgeReader) -> None:
    """A thumbnail (photos, videos) and a stripped copy (photos), each kind at most once."""
    existing = {d.kind for d in item.derivatives}
    wanted: list[tuple[DerivativeKind, Callable[[], tuple[bytes, str]]]] = []
    if item.kind == EvidenceKind.PHOTO:
        wanted = [
            (DerivativeKind.THUMBNAIL, lambda: (_photo_file_thumbnail(reader), "image/jpeg")),
            (DerivativeKind.STRIPPED, lambda: stripped_photo(_plaintext_file(reader))),
        ]
    elif item.kind == EvidenceKind.VIDEO:
        media_type = item.media_type
        wanted = [
            (DerivativeKind.THUMBNAIL, lambda: (video_poster(reader, media_type), "image/jpeg"))
        ]
    for kind, make in wanted:
        if kind.value in existing:
            continue
        try:
            data, media_type = make()
        except DerivativeError as exc:
            # The original is stored and intact; a missing thumbnail is not an intake failure.
            log.warning("evidence %s: no %s: %s", item.id, kind.value, exc)
            continue
        store_derivative(item, kind, media_type, data, PROCESSING_ACTOR)


def _plaintext_file(reader: AgeReader) -> io.BufferedReader:
    return io.BufferedReader(reader.as_file(), buffer_size=65536)


def _photo_file_thumbnail(reader: AgeReader) -> bytes:
    return photo_thumbnail(_plaintext_file(reader))
