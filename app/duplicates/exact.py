"""Exact duplicates: an upload whose SHA-256 an item of the same investigation already has."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.custody.ledger import append_custody_event
from app.duplicates.models import EvidenceLink, LinkKind, LinkStatus
from app.extensions import db
from app.vault.models import EvidenceItem


def flag_exact_duplicates(item: EvidenceItem, actor: Any) -> list[EvidenceLink]:
    """Link a just-recorded item to every earlier item of its investigation with its hash.

    Runs inside the intake's transaction after its `received` entry, which holds the
    investigation's ledger lock: two uploads of the same file at once are serialised, so the
    second one sees the first. Both items are kept; each link gets one `duplicate_found`
    entry. Only the item's own investigation is searched, never another.
    """
    # Ids only: an intake node's database role reads no more of an item than its receipt.
    earlier = db.session.scalars(
        select(EvidenceItem.id)
        .where(
            EvidenceItem.investigation_id == item.investigation_id,
            EvidenceItem.sha256 == item.sha256,
            EvidenceItem.id != item.id,
        )
        .order_by(EvidenceItem.received_at, EvidenceItem.id)
    ).all()
    links = []
    for other_id in earlier:
        link = EvidenceLink(
            investigation_id=item.investigation_id,
            first_id=other_id,
            second_id=item.id,
            kind=LinkKind.EXACT.value,
            status=LinkStatus.CONFIRMED.value,
        )
        db.session.add(link)
        db.session.flush()
        append_custody_event(
            item.investigation_id,
            actor,
            "duplicate_found",
            "evidence_link",
            link.id,
            {"kind": "exact", "sha256": item.sha256, "first_id": other_id, "second_id": item.id},
        )
        links.append(link)
    return links
