"""Closing an investigation and reopening it: its status and `closed_at`, audited.

Retention rules may count from the closing (app/retention/events.py); reopening empties
`closed_at`, so the due dates the closing set go away until it is closed again.
"""

from __future__ import annotations

from typing import Any

from app.audit.services import record_event
from app.investigations.models import Investigation, InvestigationStatus
from app.service_errors import ServiceError
from app.timeutil import utcnow


class ClosingError(ServiceError):
    status = 409
    code = "investigation_status"


def close_investigation(investigation: Investigation, actor: Any | None = None) -> None:
    """Mark it closed as of now; the caller commits."""
    if investigation.status != InvestigationStatus.OPEN.value:
        raise ClosingError(f"{investigation.reference} is {investigation.status}, not open.")
    investigation.status = InvestigationStatus.CLOSED.value
    investigation.closed_at = utcnow()
    record_event("investigation.closed", actor=actor, target=investigation)


def reopen_investigation(investigation: Investigation, actor: Any | None = None) -> None:
    """Open it again; the closing no longer counts for retention. The caller commits."""
    if investigation.status != InvestigationStatus.CLOSED.value:
        raise ClosingError(f"{investigation.reference} is {investigation.status}, not closed.")
    investigation.status = InvestigationStatus.OPEN.value
    investigation.closed_at = None
    record_event("investigation.reopened", actor=actor, target=investigation)
