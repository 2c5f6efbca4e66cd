"""Assessments (source reliability A-F, information credibility 1-6), corroborations, annotations.

The grading follows the NATO Admiralty system used by investigators (AJP-2.1): reliability of
the source A (completely reliable) to F (cannot be judged), credibility of the information 1
(confirmed) to 6 (cannot be judged). Assessments are never overwritten: a new grade is a new
row, so who graded what, when and why stays on record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.security.encrypted_type import ClientIdMixin, EncryptedText
from app.timeutil import utcnow

RELIABILITY = {
    "A": "Completely reliable",
    "B": "Usually reliable",
    "C": "Fairly reliable",
    "D": "Not usually reliable",
    "E": "Unreliable",
    "F": "Reliability cannot be judged",
}
CREDIBILITY = {
    1: "Confirmed by other sources",
    2: "Probably true",
    3: "Possibly true",
    4: "Doubtful",
    5: "Improbable",
    6: "Truth cannot be judged",
}


class Assessment(ClientIdMixin, db.Model):
    __tablename__ = "casefile_assessments"
    __table_args__ = (
        CheckConstraint("reliability IN ('A','B','C','D','E','F')", name="reliability_grade"),
        CheckConstraint("credibility >= 1 AND credibility <= 6", name="credibility_grade"),
    )

    casefile_id: Mapped[str] = mapped_column(
        ForeignKey("casefiles.id", ondelete="CASCADE"), index=True
    )
    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    case_item_id: Mapped[str] = mapped_column(
        ForeignKey("casefile_items.id", ondelete="CASCADE"), index=True
    )
    reliability: Mapped[str] = mapped_column(String(1))
    credibility: Mapped[int] = mapped_column(Integer)
    rationale: Mapped[str] = mapped_column(EncryptedText)
    assessed_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assessed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    assessed_by: Mapped[User | None] = relationship()

    @property
    def grade(self) -> str:
        return f"{self.reliability}{self.credibility}"


class Corroboration(ClientIdMixin, db.Model):
    """One item corroborates another (this testimony corroborates that video)."""

    __tablename__ = "casefile_corroborations"
    __table_args__ = (
        UniqueConstraint("from_item_id", "to_item_id"),
        CheckConstraint("from_item_id <> to_item_id", name="not_self"),
    )

    casefile_id: Mapped[str] = mapped_column(
        ForeignKey("casefiles.id", ondelete="CASCADE"), index=True
    )
    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    from_item_id: Mapped[str] = mapped_column(
        ForeignKey("casefile_items.id", ondelete="CASCADE"), index=True
    )
    to_item_id: Mapped[str] = mapped_column(
        ForeignKey("casefile_items.id", ondelete="CASCADE"), index=True
    )
    note: Mapped[str | None] = mapped_column(EncryptedText)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship()


class Annotation(ClientIdMixin, db.Model):
    """A lawyer's note on an item of a case file."""

    __tablename__ = "casefile_annotations"

    casefile_id: Mapped[str] = mapped_column(
        ForeignKey("casefiles.id", ondelete="CASCADE"), index=True
    )
    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    case_item_id: Mapped[str] = mapped_column(
        ForeignKey("casefile_items.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(EncryptedText)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[User | None] = relationship()
