"""Investigations and who belongs to them, with what role and whether they may see identities."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.security.encrypted_type import ClientIdMixin
from app.timeutil import utcnow

REFERENCE_PATTERN = r"^[A-Z][A-Z0-9]{1,9}(-[A-Z0-9]{1,12}){1,5}$"


class InvestigationStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    ARCHIVED = "archived"


class MemberRole(enum.StrEnum):
    FIELD = "field"
    LAWYER = "lawyer"
    LEAD = "lead"


class Investigation(ClientIdMixin, db.Model):
    __tablename__ = "investigations"

    reference: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=InvestigationStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # When it was last closed; empty while open (reopening empties it): retention counts from it.
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="investigation", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Investigation {self.reference}>"


class Membership(ClientIdMixin, db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("investigation_id", "user_id"),)

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    may_see_identities: Mapped[bool] = mapped_column(Boolean, default=False)
    granted_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    investigation: Mapped[Investigation] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])
