"""Imports every package's models so the metadata (and Alembic) sees the whole schema."""

from app.audit.models import AuditEvent
from app.auth.models import RecoveryCode, SetPasswordToken, User
from app.investigations.models import Investigation, Membership

__all__ = [
    "AuditEvent",
    "Investigation",
    "Membership",
    "RecoveryCode",
    "SetPasswordToken",
    "User",
]
