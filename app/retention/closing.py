"""Closing an investigation and reopening it: its status and `closed_at`, audited and in its
custody ledger (`investigation_closed`, `investigation_reopened`).

Retention rules may count from the closing (app/retention/events.py); reopening empties
`closed_at`, so the due dates the closing set go away until it is closed again. One
administrator may do it (the admin page, or `flask investigations close` on the server): it
destroys nothing, and whatever it brings due is still destroyed only by two reviewers.
"""

from __future__ import annotations

from typing import Any

from app.audit.services import record_event
from app.custody.ledger import CustodyAction, append_custody_event
from app.investigations.models import Investigation, InvestigationStatus
from app.service_errors import ServiceError
from app.timeutil import utcnow


class ClosingError(ServiceError):
    status = 409
    code = "investigation_status"


CLI_ACTOR = "system:cli"  # the ledger's actor when the operator acts at the command line


def close_investigation(investigation: Investigation, actor: Any | None = None) -> None:
    """Mark it closed as of now; the caller commits."""
    if investigation.status != InvestigationStatus.OPEN.value:
        raise ClosingError(f"{investigation.reference} is {investigation.status}, not open.")
    investigation.status = InvestigationStatus.CLOSED.value
    investigation.closed_at = utcnow()
    record_event("investigation.closed", actor=actor, target=investigation)
    append_custody_event(
        investigation.id,
        actor or CLI_ACTOR,
        CustodyAction.INVESTIGATION_CLOSED,
        "investigation",
        investigation.id,
        {"reference": investigation.reference},
    )


def reopen_investigation(investigation: Investigation, actor: Any | None = None) -> None:
    """Open it again; the closing no longer counts for retention. The caller commits."""
    if investigation.status != InvestigationStatus.CLOSED.value:
        raise ClosingError(f"{investigation.reference} is {investigation.status}, not closed.")
    investigation.status = InvestigationStatus.OPEN.value
    investigation.closed_at = None
    record_event("investigation.reopened", actor=actor, target=investigation)
    append_custody_event(
        investigation.id,
        actor or CLI_ACTOR,
        CustodyAction.INVESTIGATION_REOPENED,
        "investigation",
        investigation.id,
        {"reference": investigation.reference},
    )
