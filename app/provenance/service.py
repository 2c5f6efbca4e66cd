"""Running a C2PA check: validate the decrypted file, keep the result sealed, record its digest.

The check made in the processing job is the intake-time record. A re-check (a new trust
list, a newer SDK) is a new row and a new ledger entry in the name of the member who asked;
no check is ever changed or removed, so an intake-time "trusted" stays on record even if a
later check, after the signer's certificate expired, says otherwise.
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
from app.provenance.trust import TrustList, TrustListUnreadable, configured_trust_list
from app.service_errors import ServiceError
from app.timeutil import utcnow
from app.vault.models import EvidenceItem, EvidenceKind
from app.vault.reading import close_reader, evidence_in, open_verified, require_reads

FORMAT = "custos-c2pa-v1"
ACTOR = "system:media-processing"
KIND = "c2pa"
CHECKED_KINDS = frozenset({EvidenceKind.PHOTO, EvidenceKind.VIDEO, EvidenceKind.AUDIO})


def _outcome(item: EvidenceItem, reader: AgeReader) -> tuple[dict[str, Any], TrustList | None]:
    try:
        trust = configured_trust_list()
    except TrustListUnreadable as exc:
        return {"verdict": COULD_NOT_CHECK, "reason": str(exc)}, None
    with io.BufferedReader(reader.as_file(), buffer_size=1024 * 1024) as file:
        return read_manifest(item.media_type, file, trust), trust


def run_c2pa_check(item: EvidenceItem, reader: AgeReader, actor: Any) -> ProvenanceCheck:
    """Validate the item's manifest store (the caller commits). The ledger entry carries the
    verdict and the result's SHA-256, never the signer or the claims."""
    outcome, trust = _outcome(item, reader)
    checked_at = utcnow()
    trust_sha256 = trust.sha256 if trust else None
    document = {
        "format": FORMAT,
        "evidence_id": item.id,
        "sha256": item.sha256,
        "media_type": item.media_type,
        "checked_at": utc_timestamp(checked_at.replace(tzinfo=UTC)),
        "sdk": sdk_version(),
        "trust_list_sha256": trust_sha256,
        **outcome,
    }
    encoded = canonical_json(document)
    digest = hashlib.sha256(encoded).hexdigest()
    check = ProvenanceCheck(
        evidence_id=item.id,
        investigation_id=item.investigation_id,
        kind=KIND,
        verdict=outcome["verdict"],
        result=encoded.decode("utf-8"),
        result_sha256=digest,
        trust_list_sha256=trust_sha256,
        checked_by_id=getattr(actor, "id", None),
        checked_at=checked_at,
    )
    db.session.add(check)
    db.session.flush()
    append_custody_event(
        item.investigation_id,
        actor,
        "provenance_checked",
        "evidence",
        item.id,
        {
            "check_id": check.id,
            "kind": KIND,
            "format": FORMAT,
            "sha256": item.sha256,
            "result_sha256": digest,
            "verdict": check.verdict,
            "trust_list_sha256": trust_sha256,
            "sdk": document["sdk"],
        },
    )
    return check


def c2pa_step(item: EvidenceItem, reader: AgeReader) -> None:
    """The processing step: the first check of a photo, video or audio file, once."""
    if item.kind not in CHECKED_KINDS:
        return
    done = db.session.scalar(
        select(ProvenanceCheck.id).where(ProvenanceCheck.evidence_id == item.id).limit(1)
    )
    if done is None:
        run_c2pa_check(item, reader, ACTOR)


def checks_of(item: EvidenceItem) -> list[ProvenanceCheck]:
    """Every check of the item, newest first."""
    stmt = (
        select(ProvenanceCheck)
        .where(ProvenanceCheck.evidence_id == item.id)
        .order_by(ProvenanceCheck.checked_at.desc(), ProvenanceCheck.id)
    )
    return list(db.session.scalars(stmt))


class NotCheckable(ServiceError):
    """The item is not a photo, video or audio file: there is no manifest to look for."""

    status = 409
    code = "not_checkable"


def recheck(viewer: InvestigationViewer, evidence_id: str) -> ProvenanceCheck:
    """A member who may see the item asks for a new check; it is recorded as theirs (the
    caller commits)."""
    require_reads()
    item = evidence_in(viewer, evidence_id)
    if item.kind not in CHECKED_KINDS:
        raise NotCheckable(_("Only photos, videos and audio files carry C2PA manifests."))
    reader = open_verified(item.id, item.blob_key, item.size)
    try:
        return run_c2pa_check(item, reader, viewer.user)
    finally:
        close_reader(reader)
