"""Refusals of the retention services (a hold in the way, a requester deciding alone, bad input)."""

from __future__ import annotations

from app.service_errors import ServiceError


class RetentionError(ServiceError):
    """Refused before anything changed; the message says why, for the reviewer."""

    status = 400
    code = "retention_refused"


class SecondPersonRequired(RetentionError):
    status = 403
    code = "second_person_required"


class HeldByLegalHold(RetentionError):
    """A hold covers what was to be destroyed; the ledger already records that it was blocked."""

    status = 409
    code = "legal_hold"
