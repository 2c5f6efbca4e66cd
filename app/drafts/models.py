"""The `drafts` table: one encrypted draft per person and form, never shown to anyone else."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.security.encrypted_type import ClientIdMixin, EncryptedText
from app.timeutil import utcnow

FORM_KEY_LENGTH = 400


class Draft(ClientIdMixin, db.Model):
    """What one person typed into one form (an endpoint and its URL arguments), not yet saved.

    The text is testimony in the making: sealed like the record it becomes (EncryptedText,
    bound to this table, column and row), and tied to its author, who alone reads it.
    """

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("user_id", "form_key", name="uq_drafts_user_form"),)

    # The account goes, its drafts go with it: nobody else may ever read them.
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # "endpoint?arg=value&..." of the form's action: names a record (ids already in its URL),
    # never its content.
    form_key: Mapped[str] = mapped_column(String(FORM_KEY_LENGTH))
    # The form's fields as JSON ({"transcript": "...", "incident_ids": ["..", ".."]}).
    fields: Mapped[str] = mapped_column(EncryptedText)
    kept_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
