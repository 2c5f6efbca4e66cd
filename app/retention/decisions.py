"""Deciding a two-person request: approve (carry it out in the approver's name) or refuse."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.investigations.viewer import InvestigationViewer
from app.retention.disposition import destroy_evidence, remove_blobs
from app.retention.forgetting import forget_witness
from app.retention.holds import release_hold
from app.retention.models import LegalHold, RequestKind, RequestOutcome, RetentionRequest
from app.retention.object_lock import mirror_hold
from app.retention.two_person import close, decidable


@dataclass
class Decision:
    request: RetentionRequest
    blob_keys: list[str] = field(default_factory=list)  # to remove once the caller commits
    released: LegalHold | None = None  # to clear from the object store once committed


def approve(viewer: InvestigationViewer, request_id: str) -> Decision:
    """The caller commits, then calls finish() for the object store's part."""
    request = decidable(viewer, request_id)
    decision = Decision(request)
    kind = RequestKind(request.kind)
    if kind is RequestKind.RELEASE_HOLD:
        decision.released = release_hold(request, viewer.user)
    elif kind is RequestKind.DESTROY_EVIDENCE:
        decision.blob_keys = destroy_evidence(request, viewer.user)
    else:  # forgetting a witness, or destroying their identity only
        forget_witness(request, viewer.user)
    close(request, viewer, RequestOutcome.APPROVED)
    return decision


def finish(decision: Decision) -> None:
    """After the commit: remove destroyed blobs, clear Object Lock holds no hold needs now."""
    remove_blobs(decision.blob_keys)
    if decision.released is not None:
        mirror_hold(decision.released)


def refuse(viewer: InvestigationViewer, request_id: str) -> RetentionRequest:
    request = decidable(viewer, request_id)
    close(request, viewer, RequestOutcome.REFUSED)
    return request
