"""Witnesses (pseudonym code, encrypted identity, protection risk) and their consent records."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.security.encrypted_type import ClientIdMixin, SealedText
from app.security.sealed_sizes import SealedSizesMixin
from app.timeutil import utcnow

# Loaded only when a view that may show them asks (undefer_group): a page that must not show
# an identity never even decrypts it.
IDENTITY_GROUP = "identity"
IDENTITY_FIELDS = ("full_name", "date_of_birth", "contact", "current_location")


class RiskLevel(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    EXTREME = "extreme"


class ConsentPurpose(enum.StrEnum):
    """What a witness can consent to (issue 5, item 2); exports ask `consent_allows`."""

    INTERVIEW = "interview"
    LEGAL_PROCEEDINGS = "legal_proceedings"
    UN_SHARING = "un_sharing"
    PUBLICATION = "publication"
    NAMED = "named"


class ConsentKind(enum.StrEnum):
    GIVEN = "given"  # the first record
    CHANGED = "changed"  # a later record that withdraws nothing
    WITHDRAWN = "withdrawn"  # a later record that withdraws at least one purpose
    REGRANTED = "regranted"  # gives back, after a withdrawal, what was not given: four eyes


class Witness(ClientIdMixin, SealedSizesMixin, db.Model):
    __tablename__ = "witnesses"
    __table_args__ = (
        UniqueConstraint("investigation_id", "number", name="uq_witnesses_investigation_number"),
        UniqueConstraint("investigation_id", "code", name="uq_witnesses_investigation_code"),
    )

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(16))  # "W-0042": the only name used elsewhere
    full_name: Mapped[str | None] = mapped_column(
        SealedText, deferred=True, deferred_group=IDENTITY_GROUP
    )
    date_of_birth: Mapped[str | None] = mapped_column(
        SealedText, deferred=True, deferred_group=IDENTITY_GROUP
    )
    contact: Mapped[str | None] = mapped_column(
        SealedText, deferred=True, deferred_group=IDENTITY_GROUP
    )
    current_location: Mapped[str | None] = mapped_column(
        SealedText, deferred=True, deferred_group=IDENTITY_GROUP
    )
    risk_level: Mapped[str] = mapped_column(String(16))
    # The field worker who registered the witness: the only field member who sees them.
    created_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship()
    consent_records: Mapped[list[ConsentRecord]] = relationship(
        order_by="ConsentRecord.seq", viewonly=True
    )

    def __repr__(self) -> str:
        return f"<Witness {self.code}>"


class ConsentRecord(ClientIdMixin, db.Model):
    """One statement of what the witness consents to; later records supersede, none is deleted.

    Each record is the complete state after it (every purpose yes or no), so the current
    consent is simply the record with the highest seq, and the history reads top to bottom.
    """

    __tablename__ = "witness_consents"
    __table_args__ = (UniqueConstraint("witness_id", "seq", name="uq_witness_consents_seq"),)

    witness_id: Mapped[str] = mapped_column(
        ForeignKey("witnesses.id", ondelete="RESTRICT"), index=True
    )
    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    supersedes_id: Mapped[str | None] = mapped_column(
        ForeignKey("witness_consents.id", ondelete="RESTRICT")
    )
    kind: Mapped[str] = mapped_column(String(16))
    interview: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_proceedings: Mapped[bool] = mapped_column(Boolean, default=False)
    un_sharing: Mapped[bool] = mapped_column(Boolean, default=False)
    publication: Mapped[bool] = mapped_column(Boolean, default=False)
    named: Mapped[bool] = mapped_column(Boolean, default=False)
    obtained_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    obtained_on: Mapped[date] = mapped_column(Date)
    # As chosen: a BCP 47 code from the list (app/language_codes.py); free text in records made
    # before codes, kept as written.
    language: Mapped[str] = mapped_column(String(64))
    # The code of `language`; for a record made before codes, the one migration 0041 read from
    # its text, or None when the text names no language of the list (shown as written).
    language_code: Mapped[str | None] = mapped_column(String(16))
    recorded_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    obtained_by: Mapped[User | None] = relationship(foreign_keys=[obtained_by_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    def allows(self, purpose: str) -> bool:
        return bool(getattr(self, ConsentPurpose(purpose).value))

    def __repr__(self) -> str:
        return f"<ConsentRecord {self.witness_id}#{self.seq} {self.kind}>"
