"""Deciding a two-person request: approve (carry it out in the approver's name) or refuse."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.investigations.viewer import InvestigationViewer
from app.retention.disposition import destroy_evidence
from app.retention.forgetting import forget_witness
from app.retention.holds import release_hold
from app.retention.models import RequestKind, RequestOutcome, RetentionRequest
from app.retention.two_person import close, decidable


@dataclass
class Decision:
    request: RetentionRequest
    blob_keys: list[str] = field(default_factory=list)  # to remove once the caller commits


def approve(viewer: InvestigationViewer, request_id: str) -> Decision:
    """The caller commits, then removes `blob_keys` (disposition.remove_blobs)."""
    request = decidable(viewer, request_id)
    decision = Decision(request)
    kind = RequestKind(request.kind)
    if kind is RequestKind.RELEASE_HOLD:
        release_hold(request, viewer.user)
    elif kind is RequestKind.DESTROY_EVIDENCE:
        decision.blob_keys = destroy_evidence(request, viewer.user)
    else:
        forget_witness(request, viewer.user)
    close(request, viewer, RequestOutcome.APPROVED)
    return decision


def refuse(viewer: InvestigationViewer, request_id: str) -> RetentionRequest:
    request = decidable(viewer, request_id)
    close(request, viewer, RequestOutcome.REFUSED)
    return request
