"""Running a consistency check: compare, keep the result sealed, record its digest.

The check made in the processing job is the intake-time record. A re-check (after the item
was tied to an incident, or an incident's time was corrected) is a new row and a new ledger
entry; no check is ever changed or removed. A check compares the claims of the item's latest
capture-proof check (app/consistency/claims.py) as they stand when it runs: the processing job
verifies the proof before it checks consistency (app/__init__.py registers them in that
order).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from app.consistency.claims import claims_for
from app.consistency.comparison import compare, findings
from app.consistency.incidents import incidents_for
from app.consistency.models import ConsistencyCheck
from app.crypto.age import AgeReader
from app.crypto.canonical import canonical_json, utc_timestamp
from app.custody.ledger import append_custody_event
from app.extensions import db
from app.investigations.viewer import InvestigationViewer
from app.timeutil import utcnow
from app.vault.models import EvidenceItem
from app.vault.reading.evidence import evidence_in

# v2: each check names its source (file, c2pa, proofmode) and `proofs` lists the capture-proof
# checks whose claims were compared; a v1 result compared the file's metadata alone.
FORMAT = "custos-consistency-v2"
ACTOR = "system:media-processing"


def _loads(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def run_check(item: EvidenceItem, actor: Any) -> ConsistencyCheck:
    """Compare the item's extracted facts with its stated facts and its incidents (the
    caller commits). The ledger entry carries the result's SHA-256, never its values."""
    extracted = _loads(item.extracted_metadata).get("fields") or {}
    stated = _loads(item.client_facts)
    incidents = incidents_for(item)
    claims = claims_for(item)
    checks = compare(extracted, stated, incidents, claims)
    checked_at = utcnow()
    document = {
        "format": FORMAT,
        "evidence_id": item.id,
        "sha256": item.sha256,
        "checked_at": utc_timestamp(checked_at.replace(tzinfo=UTC)),
        "incident_ids": [i.id for i in incidents],
        "proofs": [
            {"source": c.source, "check_id": c.check_id, "verdict": c.verdict} for c in claims
        ],
        "checks": [c.as_dict() for c in checks],
    }
    encoded = canonical_json(document)
    digest = hashlib.sha256(encoded).hexdigest()
    check = ConsistencyCheck(
        evidence_id=item.id,
        investigation_id=item.investigation_id,
        result=encoded.decode("utf-8"),
        result_sha256=digest,
        findings=findings(checks),
        checked_by_id=getattr(actor, "id", None),
        checked_at=checked_at,
    )
    db.session.add(check)
    db.session.flush()
    append_custody_event(
        item.investigation_id,
        actor,
        "consistency_checked",
        "evidence",
        item.id,
        {
            "check_id": check.id,
            "format": FORMAT,
            "sha256": item.sha256,
            "result_sha256": digest,
            "findings": check.findings,
            "checks": len(checks),
        },
    )
    return check


def check_at_processing(item: EvidenceItem, reader: AgeReader) -> None:
    """The processing step: the first check of an item, once (re-checks are asked for)."""
    done = db.session.scalar(
        select(ConsistencyCheck.id).where(ConsistencyCheck.evidence_id == item.id).limit(1)
    )
    if done is None:
        run_check(item, ACTOR)


def checks_of(item: EvidenceItem) -> list[ConsistencyCheck]:
    """Every check of the item, newest first."""
    stmt = (
        select(ConsistencyCheck)
        .where(ConsistencyCheck.evidence_id == item.id)
        .order_by(ConsistencyCheck.checked_at.desc(), ConsistencyCheck.id)
    )
    return list(db.session.scalars(stmt))


def recheck(viewer: InvestigationViewer, evidence_id: str) -> ConsistencyCheck:
    """A member who may see the item asks for a new check; it is recorded as theirs."""
    item = evidence_in(viewer, evidence_id)
    check = run_check(item, viewer.user)
    db.session.commit()
    return check


def items_with_findings():
    """SELECT of the ids of items whose latest consistency check counts at least one finding
    (a re-check that finds nothing supersedes an earlier one that did)."""
    later = aliased(ConsistencyCheck)
    return select(ConsistencyCheck.evidence_id).where(
        ConsistencyCheck.findings > 0,
        ~exists().where(
            later.evidence_id == ConsistencyCheck.evidence_id,
            later.checked_at > ConsistencyCheck.checked_at,
        ),
    )
