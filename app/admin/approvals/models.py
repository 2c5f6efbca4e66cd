"""ApprovalRequest: an action one administrator asked for and a second must approve."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.investigations.models import Investigation
from app.security.encrypted_type import ClientIdMixin
from app.timeutil import utcnow


class ApprovalKind(enum.StrEnum):
    IDENTITY_SELF_GRANT = "identity_self_grant"  # an admin seeing witness identities
    REINVITE = "reinvite"  # a set-password link for an account already in use
    RESET_SECOND_FACTOR = "reset_second_factor"  # of a lawyer or an administrator


class ApprovalOutcome(enum.StrEnum):
    APPROVED = "approved"
    REFUSED = "refused"


class ApprovalRequest(ClientIdMixin, db.Model):
    """Pending while `outcome` is empty and `expires_at` is ahead; decided rows stay as record."""

    __tablename__ = "approval_requests"

    kind: Mapped[str] = mapped_column(String(32))
    requested_by_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    target_user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    investigation_id: Mapped[str | None] = mapped_column(
        ForeignKey("investigations.id", ondelete="CASCADE")
    )
    # What exactly was asked (the member role of a grant); never a secret.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(String(16))

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    target_user: Mapped[User] = relationship(foreign_keys=[target_user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    investigation: Mapped[Investigation | None] = relationship()

    def is_pending(self, now: datetime | None = None) -> bool:
        return self.outcome is None and self.expires_at > (now or utcnow())
