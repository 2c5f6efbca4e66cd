"""Translations of sealed testimony: versions beside the original, naming the hash translated."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.intake.models.interviews import Addendum
from app.security.encrypted_type import ClientIdMixin, SealedText
from app.timeutil import utcnow


class TranslationStatus(enum.StrEnum):
    DRAFT = "draft"  # the translator's, encrypted, editable by them alone
    SEALED = "sealed"  # revised and sealed by a second person: content hash in the ledger


class TranslationMethod(enum.StrEnum):
    HUMAN = "human"
    # Made by a program (a local engine, named with its version) and revised by a person.
    # Custos runs no engine itself: sending testimony to a remote service is a disclosure.
    MACHINE = "machine"


class Translation(ClientIdMixin, db.Model):
    """One version of a translation of a sealed testimony or of one of its addenda.

    `source_hash` is the content hash of exactly what it translates (the testimony's, or the
    addendum's). A correction is a new row whose `supersedes_id` names the sealed version it
    replaces; a sealed row never changes (app/intake/guards.py).
    """

    __tablename__ = "testimony_translations"

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    interview_id: Mapped[str] = mapped_column(
        ForeignKey("interviews.id", ondelete="RESTRICT"), index=True
    )
    # Empty: the translation is of the testimony itself; else of this addendum of it.
    addendum_id: Mapped[str | None] = mapped_column(
        ForeignKey("interview_addenda.id", ondelete="RESTRICT")
    )
    source_hash: Mapped[str] = mapped_column(String(64))
    # BCP 47 codes from app/language_codes.py.
    source_language: Mapped[str] = mapped_column(String(16))
    target_language: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(8), default=TranslationMethod.HUMAN.value)
    engine: Mapped[str | None] = mapped_column(String(64))
    engine_version: Mapped[str | None] = mapped_column(String(32))
    translator_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    reviser_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    supersedes_id: Mapped[str | None] = mapped_column(
        ForeignKey("testimony_translations.id", ondelete="RESTRICT")
    )
    # Testimony in other words: sealed to the organisation's key like the transcript.
    text: Mapped[str | None] = mapped_column(SealedText, deferred=True)
    status: Mapped[str] = mapped_column(String(8), default=TranslationStatus.DRAFT.value)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    sealed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    translator: Mapped[User] = relationship(foreign_keys=[translator_id])
    reviser: Mapped[User | None] = relationship(foreign_keys=[reviser_id])
    addendum: Mapped[Addendum | None] = relationship()

    @property
    def is_sealed(self) -> bool:
        return self.status == TranslationStatus.SEALED.value

    @property
    def is_machine(self) -> bool:
        return self.method == TranslationMethod.MACHINE.value

    def __repr__(self) -> str:
        return f"<Translation {self.id} {self.source_language}->{self.target_language}>"
