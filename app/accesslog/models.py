"""Access records: one per person, object, kind of read and hour (the break-the-glass log)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.security.encrypted_type import ClientIdMixin, EncryptedText


class ReadKind(enum.StrEnum):
    IDENTITY = "identity"  # a witness's name, contact, birth date, location
    TESTIMONY = "testimony"  # the text of an interview
    EVIDENCE = "evidence"  # an evidence item's record (page or API resource)
    ORIGINAL = "original"  # the original bytes of an evidence item, downloaded
    EXPORT = "export"  # a case file's export, started


class AccessRecord(ClientIdMixin, db.Model):
    """Reads of one object by one person in one hour: first and last time, how many, why."""

    __tablename__ = "access_records"
    __table_args__ = (
        UniqueConstraint("user_id", "object_type", "object_id", "kind", "hour"),
        Index("ix_access_records_investigation_hour", "investigation_id", "hour"),
        Index("ix_access_records_object", "object_type", "object_id"),
    )

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="CASCADE")
    )
    # No foreign key: accounts come and go, the record of what they read stays.
    user_id: Mapped[str] = mapped_column(String(36))
    user_email: Mapped[str] = mapped_column(String(254))
    user_role: Mapped[str] = mapped_column(String(16))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    # What people call the object (a witness code, "evidence 1a2b3c4d"): never an identity.
    label: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))  # web or api
    reason_code: Mapped[str] = mapped_column(String(32), default="")
    # Free text may name someone ("to call her lawyer"): encrypted like identities.
    reason_text: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    hour: Mapped[datetime] = mapped_column(DateTime)  # naive UTC, truncated to the hour
    first_at: Mapped[datetime] = mapped_column(DateTime)
    last_at: Mapped[datetime] = mapped_column(DateTime)
    reads: Mapped[int] = mapped_column(Integer, default=1)
