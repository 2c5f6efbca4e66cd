"""One evidence item's acquisition record (Berkeley Protocol), sealed field by field."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.security.encrypted_type import ClientIdMixin, SealedText
from app.timeutil import utcnow


class Method(enum.StrEnum):
    WEB_CAPTURE = "web_capture"  # a WACZ/WARC made with a capture tool
    DOWNLOAD = "download"  # a file saved from a website or platform
    SCREEN_RECORDING = "screen_recording"
    SCREENSHOT = "screenshot"
    FROM_SOURCE = "from_source"  # handed over by a person or organisation
    OWN_RECORDING = "own_recording"  # recorded by the investigator
    OTHER = "other"


class Generation(enum.StrEnum):
    ORIGINAL = "original"
    COPY = "copy"


class Edited(enum.StrEnum):
    NO = "no"
    YES = "yes"
    UNKNOWN = "unknown"


class AcquisitionRecord(ClientIdMixin, db.Model):
    """Free text is sealed (a link or a title can say who was being looked at); `acquired_from`
    is identity information, shown only with the identity grant. One row per item, changed in
    place while the item is in no approved case file; each change is a ledger entry."""

    __tablename__ = "evidence_acquisition"

    evidence_id: Mapped[str] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="CASCADE"), unique=True
    )
    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    online_link: Mapped[str | None] = mapped_column(SealedText)
    online_title: Mapped[str | None] = mapped_column(SealedText)
    acquired_at: Mapped[datetime | None] = mapped_column(DateTime)
    method: Mapped[str | None] = mapped_column(String(32))
    method_note: Mapped[str | None] = mapped_column(SealedText)
    acquired_from: Mapped[str | None] = mapped_column(SealedText)
    generation: Mapped[str | None] = mapped_column(String(16))
    original_location: Mapped[str | None] = mapped_column(SealedText)
    edited: Mapped[str | None] = mapped_column(String(8))
    edit_note: Mapped[str | None] = mapped_column(SealedText)
    hashes_at_acquisition: Mapped[str | None] = mapped_column(String(2000))
    updated_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
