"""One consistency check of an evidence item: its findings, kept; a re-check is a new row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.security.encrypted_type import ClientIdMixin, SealedText
from app.timeutil import utcnow


class ConsistencyCheck(ClientIdMixin, db.Model):
    """The result JSON is sealed: findings quote capture times and positions (identity class).
    The ledger holds its SHA-256 (`result_sha256`), never the values."""

    __tablename__ = "consistency_checks"

    evidence_id: Mapped[str] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="CASCADE"), index=True
    )
    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    result: Mapped[str] = mapped_column(SealedText)
    result_sha256: Mapped[str] = mapped_column(String(64))
    findings: Mapped[int] = mapped_column(Integer)  # how many mismatches to weigh
    checked_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    checked_by: Mapped[User | None] = relationship()
