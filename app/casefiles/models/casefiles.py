"""Case files, the items they gather (incidents, testimony, evidence) and item-to-element links.

An item is named generically by (item_type, item_id) so one case file can hold rows of three
tables; every lookup of the item itself goes through the access scope (services/items.py).
Free text that may name a person (legal question, notes) is encrypted like any such text.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.casefiles.models.frameworks import LegalCrime, LegalElement
from app.extensions import db
from app.security.encrypted_type import ClientIdMixin, EncryptedText
from app.timeutil import utcnow


class CaseStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"  # approved for referral


class ItemType(enum.StrEnum):
    INCIDENT = "incident"
    INTERVIEW = "interview"
    EVIDENCE = "evidence"


class Stance(enum.StrEnum):
    SUPPORTING = "supporting"
    UNDERMINING = "undermining"


casefile_characterizations = Table(
    "casefile_characterizations",
    db.metadata,
    Column("casefile_id", ForeignKey("casefiles.id", ondelete="CASCADE"), primary_key=True),
    Column("crime_id", ForeignKey("legal_crimes.id", ondelete="RESTRICT"), primary_key=True),
)


class CaseFile(ClientIdMixin, db.Model):
    __tablename__ = "casefiles"
    __table_args__ = (UniqueConstraint("investigation_id", "number"),)

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(96), unique=True)  # CF-<investigation>-001
    title: Mapped[str] = mapped_column(String(200))
    legal_question: Mapped[str] = mapped_column(EncryptedText)
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.DRAFT.value, index=True)
    # The author can never approve their own case file (issue 6, item 4): kept for ever.
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    submitted_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    approved_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    characterizations: Mapped[list[LegalCrime]] = relationship(
        secondary=casefile_characterizations, order_by=LegalCrime.position
    )
    items: Mapped[list[CaseItem]] = relationship(
        back_populates="casefile", order_by="CaseItem.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<CaseFile {self.reference} {self.status}>"


class CaseItem(ClientIdMixin, db.Model):
    """An incident, interview or evidence item gathered into a case file."""

    __tablename__ = "casefile_items"
    __table_args__ = (
        UniqueConstraint("casefile_id", "item_type", "item_id"),
        CheckConstraint(
            "item_type IN ('incident', 'interview', 'evidence')", name="item_type_known"
        ),
    )

    casefile_id: Mapped[str] = mapped_column(
        ForeignKey("casefiles.id", ondelete="CASCADE"), index=True
    )
    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    item_type: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(36), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    added_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    casefile: Mapped[CaseFile] = relationship(back_populates="items")
    links: Mapped[list[ElementLink]] = relationship(
        back_populates="case_item", cascade="all, delete-orphan", order_by="ElementLink.created_at"
    )


class ElementLink(ClientIdMixin, db.Model):
    """An item supports or undermines one element of a characterization, with a note why."""

    __tablename__ = "casefile_element_links"
    __table_args__ = (
        UniqueConstraint("case_item_id", "element_id", "stance"),
        CheckConstraint("stance IN ('supporting', 'undermining')", name="stance_known"),
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
    element_id: Mapped[int] = mapped_column(
        ForeignKey("legal_elements.id", ondelete="RESTRICT"), index=True
    )
    stance: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(EncryptedText)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    case_item: Mapped[CaseItem] = relationship(back_populates="links")
    element: Mapped[LegalElement] = relationship()
