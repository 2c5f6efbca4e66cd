"""Near-duplicate suggestions: a new fingerprint compared with those of its investigation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.custody.ledger import append_custody_event
from app.duplicates.matching import Frame, Match, match_photos, match_videos
from app.duplicates.models import (
    EvidenceLink,
    FingerprintStatus,
    LinkKind,
    LinkStatus,
    MediaFingerprint,
)
from app.duplicates.pdq import HEX_DIGITS
from app.duplicates.pdq_index import matching_fingerprint_ids
from app.extensions import db
from app.vault.models import EvidenceItem, EvidenceKind

ACTOR = "system:media-processing"


def frames_of(fingerprint: MediaFingerprint) -> list[Frame]:
    return [
        Frame(
            f.hash_hex,
            tuple(
                f.dihedral_hex[i : i + HEX_DIGITS]
                for i in range(0, len(f.dihedral_hex), HEX_DIGITS)
            ),
            f.quality,
        )
        for f in fingerprint.frames
    ]


def compare(kind: str, query: list[Frame], stored: list[Frame]) -> Match | None:
    if kind == EvidenceKind.PHOTO:
        return match_photos(query[0], stored[0]) if query and stored else None
    return match_videos(query, stored)


def suggest_near_duplicates(
    item: EvidenceItem, fingerprint: MediaFingerprint
) -> list[EvidenceLink]:
    """Suggest a link to each item of the same investigation and kind, hashed by the same
    implementation, that matches; never one already linked, never an exact duplicate (that
    link exists already), never across investigations. The chunk index finds the few
    fingerprints with a matching frame; the full rule then decides on each of them."""
    query = frames_of(fingerprint)
    found_ids = matching_fingerprint_ids(item.investigation_id, query)
    if not found_ids:
        return []
    linked = (
        select(EvidenceLink.first_id)
        .where(EvidenceLink.second_id == item.id)
        .union(select(EvidenceLink.second_id).where(EvidenceLink.first_id == item.id))
    )
    candidates = db.session.scalars(
        select(MediaFingerprint)
        .join(EvidenceItem, EvidenceItem.id == MediaFingerprint.evidence_id)
        .where(
            MediaFingerprint.id.in_(found_ids),
            MediaFingerprint.investigation_id == item.investigation_id,
            EvidenceItem.investigation_id == item.investigation_id,
            MediaFingerprint.implementation == fingerprint.implementation,
            MediaFingerprint.status == FingerprintStatus.HASHED.value,
            MediaFingerprint.evidence_id != item.id,
            EvidenceItem.kind == item.kind,
            EvidenceItem.sha256 != item.sha256,
            MediaFingerprint.evidence_id.not_in(linked),
        )
        .options(selectinload(MediaFingerprint.frames))
        .order_by(EvidenceItem.received_at, EvidenceItem.id)
    ).all()
    links = []
    for candidate in candidates:
        found = compare(item.kind, query, frames_of(candidate))
        if found is not None:
            links.append(_suggest(item, candidate, fingerprint.implementation, found))
    return links


def _suggest(
    item: EvidenceItem, candidate: MediaFingerprint, implementation: str, found: Match
) -> EvidenceLink:
    link = EvidenceLink(
        investigation_id=item.investigation_id,
        first_id=candidate.evidence_id,
        second_id=item.id,
        kind=LinkKind.NEAR.value,
        status=LinkStatus.SUGGESTED.value,
        distance=found.distance,
        first_share=found.first_share,
        second_share=found.second_share,
        implementation=implementation,
    )
    db.session.add(link)
    db.session.flush()
    details = {
        "kind": "near",
        "first_id": link.first_id,
        "second_id": link.second_id,
        "implementation": implementation,
        "distance": found.distance,
    }
    if found.first_share is not None:
        details["first_share"] = round(found.first_share, 4)
        details["second_share"] = round(float(found.second_share or 0), 4)
    append_custody_event(
        item.investigation_id, ACTOR, "duplicate_suggested", "evidence_link", link.id, details
    )
    return link
