"""How interview pages show files: by the name the viewer may read, with a thumbnail if any.

File names are identity information (docs/security.md): a viewer without the identity grant sees
the vault's neutral name, even for their own uploads. Thumbnails are served by the vault's
derivative route, which checks the viewer again and records each fetch in the custody ledger.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.investigations.viewer import InvestigationViewer
from app.vault.models import DerivativeKind, EvidenceItem
from app.vault.reading.evidence import shown_name


@dataclass(frozen=True)
class FileCard:
    evidence_id: str
    name: str
    kind: str
    media_type: str
    size: int
    received_at: datetime
    thumbnail_id: str | None
    sha256: str = ""  # the prefix is what the upload's receipt showed: it tells uploads apart


def file_cards(viewer: InvestigationViewer, items: Iterable[EvidenceItem]) -> list[FileCard]:
    """One card per item (the caller got the items through the viewer's scope)."""
    return [
        FileCard(
            evidence_id=item.id,
            name=shown_name(viewer, item),
            kind=item.kind,
            media_type=item.media_type,
            size=item.size,
            received_at=item.received_at,
            thumbnail_id=next(
                (d.id for d in item.derivatives if d.kind == DerivativeKind.THUMBNAIL), None
            ),
            sha256=item.sha256,
        )
        for item in items
    ]


def cards_by_id(viewer: InvestigationViewer, evidence_ids: Iterable[str]) -> dict[str, FileCard]:
    """Cards for files attached to an interview the viewer may see, by evidence id."""
    ids = list(evidence_ids)
    if not ids:
        return {}
    items = db.session.scalars(
        select(EvidenceItem)
        .where(
            EvidenceItem.id.in_(ids),
            EvidenceItem.investigation_id == viewer.investigation.id,
        )
        .options(selectinload(EvidenceItem.derivatives))
    )
    return {card.evidence_id: card for card in file_cards(viewer, items)}
