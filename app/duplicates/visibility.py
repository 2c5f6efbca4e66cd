"""Which duplicate links a viewer may see: only those whose two items they may both see.

A viewer who may not see one of the two items learns nothing about the link: no "a
duplicate exists that you cannot see". Field staff see only their own uploads, and such a
hint would tell them that someone else sent the same file (an oracle: upload a video, learn
whether another source already gave it to the organisation), which identifies a source as
surely as a name. Reviewers see every item, so they see every link.
"""

from __future__ import annotations

from sqlalchemy import Select, select

from app.duplicates.models import EvidenceLink
from app.investigations.viewer import InvestigationViewer, ledger_object_kind
from app.vault.models import visible_evidence_ids


def visible_links(stmt: Select, viewer: InvestigationViewer) -> Select:
    seen = visible_evidence_ids(viewer)
    return viewer.scope(stmt, EvidenceLink).where(
        EvidenceLink.first_id.in_(seen), EvidenceLink.second_id.in_(seen)
    )


@ledger_object_kind("evidence_link")
def visible_link_ids(viewer: InvestigationViewer) -> Select:
    """Ledger entries about a link are shown to those who may see the link."""
    return visible_links(select(EvidenceLink.id), viewer)
