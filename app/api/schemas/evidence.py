"""Evidence items as API clients see them: what the vault's list page shows, as JSON.

No client facts, extracted metadata or content: those are read through the vault's item page,
which records the read in the custody ledger. The file name is identity information: the caller
passes the name the viewer may read (`app.vault.reading.shown_name`).
"""

from __future__ import annotations

from typing import Any

from app.api.schemas.output import person
from app.vault.models import EvidenceItem


def evidence_json(item: EvidenceItem, filename: str) -> dict[str, Any]:
    """filename: the name the viewer may read, or as just received (an upload's answer)."""
    return {
        "id": item.id,
        "kind": item.kind,
        "media_type": item.media_type,
        "size": int(item.size),
        "sha256": item.sha256,
        "original_filename": filename,
        "received_at": item.received_at,
        "uploaded_by": person(item.uploaded_by),
        "derivatives": [
            {"id": d.id, "kind": d.kind, "media_type": d.media_type, "size": int(d.size)}
            for d in item.derivatives
        ],
    }
