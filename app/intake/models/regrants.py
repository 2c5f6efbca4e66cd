"""ConsentRegrant: consent given back after a withdrawal; in force after a second reviewer."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.security.encrypted_type import ClientIdMixin
from app.timeutil import utcnow


class RegrantOutcome(enum.StrEnum):
    APPROVED = "approved"
    REFUSED = "refused"


class ConsentRegrant(ClientIdMixin, db.Model):
    """The consent state one member asks to record, with the document of it; pending while
    `outcome` is empty. On approval the ConsentRecord is written and `record_id` names it."""

    __tablename__ = "consent_regrants"

    witness_id: Mapped[str] = mapped_column(
        ForeignKey("witnesses.id", ondelete="RESTRICT"), index=True
    )
    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    # The record in force when it was asked: a request is stale once another record follows.
    based_on_id: Mapped[str] = mapped_column(ForeignKey("witness_consents.id", ondelete="RESTRICT"))
    interview: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_proceedings: Mapped[bool] = mapped_column(Boolean, default=False)
    un_sharing: Mapped[bool] = mapped_column(Boolean, default=False)
    publication: Mapped[bool] = mapped_column(Boolean, default=False)
    named: Mapped[bool] = mapped_column(Boolean, default=False)
    obtained_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    obtained_on: Mapped[date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(64))
    language_code: Mapped[str | None] = mapped_column(String(16))  # as on ConsentRecord
    # The document of the new consent: an evidence item (a signed form, a recording).
    document_id: Mapped[str] = mapped_column(ForeignKey("evidence_items.id", ondelete="RESTRICT"))
    requested_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    record_id: Mapped[str | None] = mapped_column(
        ForeignKey("witness_consents.id", ondelete="RESTRICT")
    )

    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def allows(self, purpose: str) -> bool:
        return bool(getattr(self, purpose))
