"""Records and queries security audit events (accounts, sessions, roles and access grants)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import Select, select

from app.audit.models import AuditEvent
from app.extensions import db

# Event names, kept in one list so the admin filter offers exactly what can be recorded.
EVENTS = (
    "login.success",
    "login.failure",
    "login.locked",  # before issue 15 accounts locked; kept so old rows can be filtered
    "login.throttled",
    "logout",
    "session.idle_timeout",
    "session.expired",
    "sessions.ended",
    "sessions.ended_by_admin",
    "2fa.enrolled",
    "2fa.failure",
    "2fa.recovery_code_used",
    "2fa.reset",
    "password.set",
    "user.created",
    "user.invited",
    "user.role_changed",
    "user.deactivated",
    "user.reactivated",
    "user.unlocked",
    "membership.granted",
    "membership.changed",
    "membership.revoked",
    "investigation.created",
    "investigation.closed",
    "investigation.reopened",
    "api_token.created",
    "api_token.revoked",
    "openrosa_device.created",
    "openrosa_device.revoked",
    "custody.ledger_broken",
    "custody.alarm_acknowledged",
    "reauth.failure",
    "approval.requested",
    "approval.approved",
    "approval.refused",
    "approval.sole_actor",
    "retention.hold_placed",
    "retention.rule_added",
    "retention.requested",
    "retention.approved",
    "retention.refused",
    "retention.blocked",
)


def client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def record_event(
    event: str,
    actor: Any | None = None,
    target: Any | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session; it commits with the change it describes."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    row = AuditEvent(
        event=event,
        actor_id=getattr(actor, "id", None),
        actor_email=getattr(actor, "email", None),
        ip=client_ip(),
        target_type=type(target).__name__.lower() if target is not None else None,
        target_id=str(getattr(target, "id", "")) or None if target is not None else None,
        details=details or {},
    )
    db.session.add(row)
    return row


@dataclass(frozen=True)
class AuditFilter:
    event: str | None = None
    actor_email: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def audit_query(filters: AuditFilter) -> Select:
    """Newest first, narrowed by the admin's filters."""
    stmt = select(AuditEvent).order_by(AuditEvent.time.desc(), AuditEvent.id.desc())
    if filters.event:
        stmt = stmt.where(AuditEvent.event == filters.event)
    if filters.actor_email:
        stmt = stmt.where(AuditEvent.actor_email == filters.actor_email.strip().lower())
    if filters.since:
        stmt = stmt.where(AuditEvent.time >= filters.since)
    if filters.until:
        stmt = stmt.where(AuditEvent.time < filters.until)
    return stmt
