"""Attaching several files to a draft interview in one step, picked from one's uploads or sent now.

Each file goes through `link_evidence` (one's own uploads only, drafts only). An interview has
at most one recording: asked to attach several files as the recording, the first audio or video
file becomes it and the rest are attachments, and the outcome says which were. Uploads made
from the interview page are attached inside the transaction that records them in the vault
(`Attacher.on_recorded`), so a file is stored and attached, or neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.intake.errors import field_error
from app.intake.models import Interview
from app.intake.models.interviews import EvidenceRole
from app.intake.services.interviews import RECORDING_KINDS, link_evidence
from app.intake.textinput import looks_like_row_id
from app.vault.models import EvidenceItem

MAX_PICKED = 50


@dataclass
class Attacher:
    """Attaches files to one draft interview, as the recording or as attachments."""

    interview: Interview
    user: Any
    role: str = EvidenceRole.ATTACHMENT.value
    attached: list[str] = field(default_factory=list)  # evidence ids, in order
    recording: str | None = None  # the evidence id attached as the recording, if any
    not_recording: list[str] = field(default_factory=list)  # asked as recording, attached
    # An upload's own form fields, filled as they arrive (app/vault/upload/multipart.py).
    form_fields: dict[str, str] = field(
        default_factory=lambda: {"role": EvidenceRole.ATTACHMENT.value}
    )

    def check_role(self) -> None:
        if self.role not in tuple(EvidenceRole):
            raise field_error("role", "invalid_choice")

    def attach(self, evidence: Any) -> None:
        """Attach one file (an EvidenceItem of the user's own) with the role it may take."""
        role = EvidenceRole.ATTACHMENT.value
        if self.role == EvidenceRole.RECORDING.value:
            if self._may_be_recording(evidence):
                role = EvidenceRole.RECORDING.value
                self.recording = evidence.id
            else:
                self.not_recording.append(evidence.id)
        link_evidence(self.interview, self.user, evidence.id, role)
        self.attached.append(evidence.id)

    def on_recorded(self, evidence: Any) -> None:
        """The vault's hook for a file just received: attach it in the same transaction, with
        the role the form sent before its files (`form_fields`)."""
        self.role = self.form_fields["role"]
        self.check_role()
        self.attach(evidence)

    def _may_be_recording(self, evidence: Any) -> bool:
        has_one = any(
            link.role == EvidenceRole.RECORDING.value for link in self.interview.evidence_links
        )
        return evidence.kind in RECORDING_KINDS and not has_one and self.recording is None


def attach_picked(interview: Interview, user: Any, evidence_ids: list[str], role: str) -> Attacher:
    """Attach the uploads the person ticked (none is ticked for them); all or none."""
    attacher = Attacher(interview, user, role)
    attacher.check_role()
    wanted = list(dict.fromkeys(evidence_ids))
    if not wanted:
        raise field_error("evidence_id", "required")
    if len(wanted) > MAX_PICKED:
        raise field_error("evidence_id", "too_long")
    for evidence_id in wanted:
        # Only one's own uploads in this investigation (link_evidence checks again).
        evidence = looks_like_row_id(evidence_id) and db.session.scalar(
            select(EvidenceItem).where(
                EvidenceItem.id == evidence_id,
                EvidenceItem.investigation_id == interview.investigation_id,
                EvidenceItem.uploaded_by_id == user.id,
            )
        )
        if not evidence:
            raise field_error("evidence_id", "unknown_evidence")
        attacher.attach(evidence)
    return attacher
