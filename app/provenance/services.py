"""Running a capture-proof check (C2PA on photos, videos and audio; ProofMode on bundles):
verify the decrypted file, keep the result sealed, record its digest.

The check made in the processing job is the intake-time record. A re-check (a new trust
list, a newer SDK, a key pinned since) is a new row and a new ledger entry in the name of the
member who asked; no check is ever changed or removed, so an intake-time "trusted" stays on
record even if a later check, after the signer's certificate expired, says otherwise.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.crypto.age import AgeReader
from app.crypto.canonical import canonical_json, utc_timestamp
from app.custody.ledger import append_custody_event
from app.extensions import db
from app.investigations.viewer import InvestigationViewer
from app.provenance.c2pa_reading import COULD_NOT_CHECK, read_manifest, sdk_version
from app.provenance.models import ProvenanceCheck
from app.provenance.pinning import pinned_fingerprints
from app.provenance.proofmode import verify_bundle
from app.provenance.safetynet import AttestationRoots, roots_from
from app.provenance.trust import (
    TrustList,
    TrustListUnreadable,
    configured_attestation_roots,
    configured_trust_list,
)
from app.service_errors import ServiceError
from app.timeutil import utcnow
from app.vault.models import EvidenceItem, EvidenceKind
from app.vault.reading.evidence import close_reader, evidence_in, open_verified, require_reads
from app.vault.upload.sniff import PROOFMODE

ACTOR = "system:media-processing"
C2PA, PROOFMODE_KIND = "c2pa", "proofmode"
FORMATS = {C2PA: "custos-c2pa-v1", PROOFMODE_KIND: "custos-proofmode-v1"}
C2PA_KINDS = frozenset({EvidenceKind.PHOTO, EvidenceKind.VIDEO, EvidenceKind.AUDIO})


def check_kind(item: EvidenceItem) -> str | None:
    """Which proof the item may carry: C2PA for media, ProofMode for a bundle, else none."""
    if item.media_type == PROOFMODE:
        return PROOFMODE_KIND
    return C2PA if item.kind in C2PA_KINDS else None


def _plaintext(reader: AgeReader) -> io.BufferedReader:
    return io.BufferedReader(reader.as_file(), buffer_size=1024 * 1024)


def _c2pa(item: EvidenceItem, reader: AgeReader) -> tuple[dict[str, Any], dict[str, Any]]:
    recorded: dict[str, Any] = {"sdk": sdk_version(), "trust_list_sha256": None}
    try:
        trust: TrustList = configured_trust_list()
    except TrustListUnreadable as exc:
        return {"verdict": COULD_NOT_CHECK, "reason": str(exc)}, recorded
    recorded["trust_list_sha256"] = trust.sha256
    with _plaintext(reader) as file:
        return read_manifest(item.media_type, file, trust), recorded


def _proofmode(item: EvidenceItem, reader: AgeReader) -> tuple[dict[str, Any], dict[str, Any]]:
    pinned = pinned_fingerprints(item.investigation_id, item.uploaded_by_id)
    recorded: dict[str, Any] = {"pinned_keys": sorted(pinned), "trust_list_sha256": None}
    try:
        trust = configured_attestation_roots()
    except TrustListUnreadable as exc:
        roots = AttestationRoots(problem=str(exc))
    else:
        roots = roots_from(trust)
        recorded["trust_list_sha256"] = trust.sha256
    with _plaintext(reader) as file:
        outcome = verify_bundle(file, pinned, roots)
    return outcome, recorded


def run_check(item: EvidenceItem, reader: AgeReader, actor: Any, kind: str) -> ProvenanceCheck:
    """Verify the item's proof (the caller commits). The ledger entry carries the verdict
    and the result's SHA-256, never the signer or the claims."""
    outcome, recorded = (_c2pa if kind == C2PA else _proofmode)(item, reader)
    checked_at = utcnow()
    document = {
        "format": FORMATS[kind],
        "evidence_id": item.id,
        "sha256": item.sha256,
        "media_type": item.media_type,
        "checked_at": utc_timestamp(checked_at.replace(tzinfo=UTC)),
        **recorded,
        **outcome,
    }
    encoded = canonical_json(document)
    digest = hashlib.sha256(encoded).hexdigest()
    check = ProvenanceCheck(
        evidence_id=item.id,
        investigation_id=item.investigation_id,
        kind=kind,
        verdict=outcome["verdict"],
        result=encoded.decode("utf-8"),
        result_sha256=digest,
        trust_list_sha256=recorded.get("trust_list_sha256"),
        checked_by_id=getattr(actor, "id", None),
        checked_at=checked_at,
    )
    db.session.add(check)
    db.session.flush()
    details = {
        "check_id": check.id,
        "kind": kind,
        "format": FORMATS[kind],
        "sha256": item.sha256,
        "result_sha256": digest,
        "verdict": check.verdict,
    }
    if kind == C2PA:
        details.update(trust_list_sha256=check.trust_list_sha256, sdk=recorded["sdk"])
    elif check.trust_list_sha256:  # the SafetyNet roots the check was made with
        details.update(trust_list_sha256=check.trust_list_sha256)
    append_custody_event(
        item.investigation_id, actor, "provenance_checked", "evidence", item.id, details
    )
    return check


def provenance_step(item: EvidenceItem, reader: AgeReader) -> None:
    """The processing step: the first check of an item that may carry a proof, once."""
    kind = check_kind(item)
    if kind is None:
        return
    done = db.session.scalar(
        select(ProvenanceCheck.id).where(ProvenanceCheck.evidence_id == item.id).limit(1)
    )
    if done is None:
        run_check(item, reader, ACTOR, kind)


def checks_of(item: EvidenceItem) -> list[ProvenanceCheck]:
    """Every check of the item, newest first."""
    stmt = (
        select(ProvenanceCheck)
        .where(ProvenanceCheck.evidence_id == item.id)
        .order_by(ProvenanceCheck.checked_at.desc(), ProvenanceCheck.id)
    )
    return list(db.session.scalars(stmt))


class NotCheckable(ServiceError):
    """The item can carry no capture proof (a document, a web capture)."""

    status = 409
    code = "not_checkable"


def recheck(viewer: InvestigationViewer, evidence_id: str) -> ProvenanceCheck:
    """A member who may see the item asks for a new check; it is recorded as theirs (the
    caller commits)."""
    require_reads()
    item = evidence_in(viewer, evidence_id)
    kind = check_kind(item)
    if kind is None:
        raise NotCheckable(
            _("Only photos, videos, audio files and ProofMode bundles carry capture proofs.")
        )
    reader = open_verified(item.id, item.blob_key, item.size)
    try:
        return run_check(item, reader, viewer.user, kind)
    finally:
        close_reader(reader)
