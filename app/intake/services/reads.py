"""Reads of a witness's identity and of testimony text, recorded on the access log.

Labels name the witness by code (W-0007), never by identity, so the access report answers
"who read W-0007's identity, or their testimony, when and why" without holding a name.
"""

from __future__ import annotations

from app.accesslog.models import ReadKind
from app.accesslog.reasons import Reason
from app.accesslog.services import record_read
from app.intake.models import Interview, Witness
from app.investigations.viewer import InvestigationViewer


def record_identity_read(
    viewer: InvestigationViewer, witness: Witness, reason: Reason, channel: str = "web"
) -> None:
    record_read(
        viewer,
        "witness",
        witness.id,
        ReadKind.IDENTITY,
        label=witness.code,
        reason=reason,
        channel=channel,
    )


def record_testimony_read(
    viewer: InvestigationViewer,
    interview: Interview,
    reason: Reason | None = None,
    channel: str = "web",
) -> None:
    record_read(
        viewer,
        "testimony",
        interview.id,
        ReadKind.TESTIMONY,
        label=interview.witness.code,
        reason=reason,
        channel=channel,
    )
