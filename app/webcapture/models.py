"""One web-capture check of an evidence item: its result, kept sealed; never changed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.security.encrypted_type import ClientIdMixin, SealedText
from app.timeutil import utcnow


class WebCaptureCheck(ClientIdMixin, db.Model):
    """The result JSON is sealed: captured URLs and page titles can say who was looked at and
    by whom. The ledger holds its SHA-256 (`result_sha256`) and the verdict, never the URLs."""

    __tablename__ = "web_capture_checks"

    evidence_id: Mapped[str] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="CASCADE"), index=True
    )
    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    result: Mapped[str] = mapped_column(SealedText)
    result_sha256: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(16))  # passed | failed
    checked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
