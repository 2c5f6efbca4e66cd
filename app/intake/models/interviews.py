"""Interviews and their testimony: links to incidents and evidence, seal, and addenda."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.intake.models.incidents import Incident
from app.intake.models.witnesses import Witness
from app.security.encrypted_type import ClientIdMixin, SealedText
from app.security.sealed_sizes import SealedSizesMixin
from app.timeutil import utcnow
from app.vault.models import EvidenceItem

TESTIMONY_GROUP = "testimony"
# The seal's document format of new testimony (see Interview.record_format).
RECORD_FORMAT = 2


class InterviewStatus(enum.StrEnum):
    DRAFT = "draft"
    SEALED = "sealed"  # content hash recorded in the custody ledger; never changes again


class InterviewMode(enum.StrEnum):
    IN_PERSON = "in_person"
    REMOTE = "remote"


class EvidenceRole(enum.StrEnum):
    RECORDING = "recording"  # the audio or video of the interview itself (at most one)
    ATTACHMENT = "attachment"


interview_incidents = Table(
    "interview_incidents",
    db.metadata,
    Column("interview_id", ForeignKey("interviews.id", ondelete="RESTRICT"), primary_key=True),
    Column("incident_id", ForeignKey("incidents.id", ondelete="RESTRICT"), primary_key=True),
)


class Interview(ClientIdMixin, SealedSizesMixin, db.Model):
    __tablename__ = "interviews"

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    witness_id: Mapped[str] = mapped_column(
        ForeignKey("witnesses.id", ondelete="RESTRICT"), index=True
    )
    # Testimony keeps who took it: neither account can be deleted from under it.
    interviewer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_by_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    conducted_on: Mapped[date] = mapped_column(Date, index=True)
    # Where and through whom can point to the witness: encrypted.
    place: Mapped[str | None] = mapped_column(SealedText)
    # Free text as written before languages were codes (kept: a sealed record's hash covers it);
    # new records leave it empty. `languages`: BCP 47 codes spoken, space-separated
    # (app/language_codes.py); empty while `language` names none the list knows (to fix).
    language: Mapped[str] = mapped_column(String(64), default="")
    languages: Mapped[str] = mapped_column(String(64), default="")
    # The seal's document format (app/intake/services/sealing.py): 1 for testimony sealed
    # before languages and interpreters were recorded as fields, 2 since.
    record_format: Mapped[int] = mapped_column(Integer, default=RECORD_FORMAT)
    # Interpreter: present or not (None: not recorded, older records); a member of Custos or
    # an external interpreter known by a code, whose identity is sealed in `interpreter`
    # like a witness's; the pair of languages interpreted; the read-back to the witness.
    interpreter_present: Mapped[bool | None] = mapped_column(Boolean)
    interpreter_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT")
    )
    interpreter_code: Mapped[str | None] = mapped_column(String(32))
    interpreter: Mapped[str | None] = mapped_column(SealedText)
    interpreted_from: Mapped[str | None] = mapped_column(String(16))
    interpreted_to: Mapped[str | None] = mapped_column(String(16))
    read_back: Mapped[bool | None] = mapped_column(Boolean)
    read_back_language: Mapped[str | None] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    first_hand: Mapped[bool] = mapped_column(Boolean, default=True)
    transcript: Mapped[str | None] = mapped_column(
        SealedText, deferred=True, deferred_group=TESTIMONY_GROUP
    )
    notes: Mapped[str | None] = mapped_column(
        SealedText, deferred=True, deferred_group=TESTIMONY_GROUP
    )
    status: Mapped[str] = mapped_column(String(8), default=InterviewStatus.DRAFT.value, index=True)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    sealed_at: Mapped[datetime | None] = mapped_column(DateTime)
    sealed_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    witness: Mapped[Witness] = relationship()
    interviewer: Mapped[User] = relationship(foreign_keys=[interviewer_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    sealed_by: Mapped[User | None] = relationship(foreign_keys=[sealed_by_id])
    interpreter_user: Mapped[User | None] = relationship(foreign_keys=[interpreter_user_id])
    incidents: Mapped[list[Incident]] = relationship(
        secondary=interview_incidents, order_by=Incident.occurred_from
    )
    # Read-only views: links and addenda are written as their own rows, so adding an addendum
    # to a sealed interview does not count as a change of the interview (see guards.py).
    evidence_links: Mapped[list[InterviewEvidence]] = relationship(
        viewonly=True, order_by="InterviewEvidence.linked_at"
    )
    addenda: Mapped[list[Addendum]] = relationship(viewonly=True, order_by="Addendum.seq")

    @property
    def is_sealed(self) -> bool:
        return self.status == InterviewStatus.SEALED.value

    @property
    def language_to_fix(self) -> bool:
        """A language was written as free text that names none of the list: a person chooses."""
        return bool((self.language or "").strip()) and not self.languages

    def __repr__(self) -> str:
        return f"<Interview {self.id} {self.status}>"


class InterviewEvidence(db.Model):
    """An evidence item (uploaded through the vault) that belongs to an interview."""

    __tablename__ = "interview_evidence"

    interview_id: Mapped[str] = mapped_column(
        ForeignKey("interviews.id", ondelete="RESTRICT"), primary_key=True
    )
    evidence_id: Mapped[str] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    linked_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    evidence: Mapped[EvidenceItem] = relationship()


class Addendum(ClientIdMixin, db.Model):
    """A correction or addition to sealed testimony, sealed with its own hash on creation."""

    __tablename__ = "interview_addenda"
    __table_args__ = (UniqueConstraint("interview_id", "seq", name="uq_interview_addenda_seq"),)

    interview_id: Mapped[str] = mapped_column(
        ForeignKey("interviews.id", ondelete="RESTRICT"), index=True
    )
    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(SealedText)
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    content_hash: Mapped[str] = mapped_column(String(64))

    author: Mapped[User] = relationship()
