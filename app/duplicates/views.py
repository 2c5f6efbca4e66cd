"""What the item page and the API say about an item's duplicates, for one viewer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.duplicates.decisions import may_decide
from app.duplicates.models import EvidenceLink, MediaFingerprint
from app.duplicates.pdq import implementation as pdq_implementation
from app.duplicates.visibility import visible_links
from app.extensions import db
from app.investigations.viewer import InvestigationViewer
from app.vault.models import EvidenceItem
from app.vault.reading.evidence import shown_name


@dataclass(frozen=True)
class LinkView:
    link: EvidenceLink
    other: EvidenceItem
    other_name: str  # as this viewer may read it

    def as_json(self) -> dict[str, Any]:
        link = self.link
        return {
            "link_id": link.id,
            "kind": link.kind,
            "status": link.status,
            "evidence_id": self.other.id,
            "sha256": self.other.sha256,
            "distance": link.distance,
            "frame_share": _share(link, self.other.id),
            "implementation": link.implementation,
            "found_at": link.created_at,
            "decided_at": link.decided_at,
        }


def _share(link: EvidenceLink, other_id: str) -> float | None:
    """Videos: the share of the OTHER item's frames that matched this one."""
    share = link.first_share if other_id == link.first_id else link.second_share
    return None if share is None else round(share, 4)


def links_of(viewer: InvestigationViewer, item: EvidenceItem) -> list[LinkView]:
    """The item's links whose other item the viewer may see; nothing about the rest."""
    stmt = (
        visible_links(select(EvidenceLink), viewer)
        .where(or_(EvidenceLink.first_id == item.id, EvidenceLink.second_id == item.id))
        .options(selectinload(EvidenceLink.first), selectinload(EvidenceLink.second))
        .order_by(EvidenceLink.created_at, EvidenceLink.id)
    )
    views = []
    for link in db.session.scalars(stmt):
        other = link.other(item.id)
        views.append(LinkView(link, other, shown_name(viewer, other)))
    return views


def link_ids_of_item(evidence_id: str):
    """Ids of the item's links (its timeline shows their entries, within the ledger scope)."""
    return select(EvidenceLink.id).where(
        or_(EvidenceLink.first_id == evidence_id, EvidenceLink.second_id == evidence_id)
    )


def fingerprint_of(item: EvidenceItem) -> MediaFingerprint | None:
    return db.session.scalar(
        select(MediaFingerprint).where(
            MediaFingerprint.evidence_id == item.id,
            MediaFingerprint.implementation == pdq_implementation(),
        )
    )


def fingerprint_json(fingerprint: MediaFingerprint | None) -> dict[str, Any] | None:
    if fingerprint is None:
        return None
    return {
        "algorithm": fingerprint.algorithm,
        "implementation": fingerprint.implementation,
        "status": fingerprint.status,
        "reason": fingerprint.reason,
        "frames": len(fingerprint.frames),
    }


def duplicates_panel(viewer: InvestigationViewer, item: EvidenceItem) -> dict | None:
    """The item page's "Duplicates" panel (app/vault/hooks.py)."""
    links = links_of(viewer, item)
    fingerprint = fingerprint_of(item)
    if not links and fingerprint is None:
        return None
    return {"links": links, "fingerprint": fingerprint, "may_decide": may_decide(viewer)}
