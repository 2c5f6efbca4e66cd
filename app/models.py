"""Imports every package's models so the metadata (and Alembic) sees the whole schema."""

from app.audit.models import AuditEvent
from app.auth.models import RecoveryCode, SetPasswordToken, User
from app.investigations.models import Investigation, Membership
from app.vault.models import Derivative, EvidenceItem, UploadSession

__all__ = [
    "AuditEvent",
    "Derivative",
    "EvidenceItem",
    "UploadSession",
    "Investigation",
    "Membership",
    "RecoveryCode",
    "SetPasswordToken",
    "User",
]
