"""What a file says about itself, as a case-file bag carries it: `provenance.json` per item.

The capture-proof checks (C2PA, ProofMode) and the consistency checks of the item, every one
of them, oldest first, each with the SHA-256 its ledger entry names. With `full` (an export
of originals by a member with the identity grant) each check carries its details, as on the
item page; otherwise its verdict and codes only, as a member without the grant sees them.
The manifest or proof files themselves travel as they arrived: inside the original.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.consistency.services import checks_of as consistency_checks_of
from app.consistency.views import CheckView
from app.provenance.services import checks_of as provenance_checks_of
from app.provenance.views import ProvenanceView
from app.vault.models import EvidenceItem

FORMAT = "custos-provenance-export-v1"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def provenance_record(item: EvidenceItem, full: bool) -> dict[str, Any]:
    provenance = [ProvenanceView(c, full).as_json() for c in reversed(provenance_checks_of(item))]
    consistency = [CheckView(c, full).as_json() for c in reversed(consistency_checks_of(item))]
    return _plain(
        {
            "format": FORMAT,
            "evidence_id": item.id,
            "sha256": item.sha256,
            "details": "full" if full else "verdicts and codes only",
            "provenance_checks": provenance,
            "consistency_checks": consistency,
        }
    )
