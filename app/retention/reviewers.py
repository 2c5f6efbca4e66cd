"""Who acts on retention: the investigation's lawyers, leads and admin members (as its ledger)."""

from __future__ import annotations

from app.investigations.viewer import InvestigationViewer
from app.security.refusals import refuse


def require_reviewer(viewer: InvestigationViewer) -> None:
    """403 for field members: holds and disposition are decided by those who read everything."""
    if not viewer.sees_full_ledger:
        refuse(403, "not_a_reviewer")
