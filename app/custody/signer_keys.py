"""Which checkpoint keys besides the organisation's are trusted: the listed intake nodes'
(the table, and the two reads the verifier makes; app/custody/signers.py changes it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import utcnow


class CustodySigner(db.Model):
    """A minisign key trusted to sign checkpoints (an intake node's), until revoked."""

    __tablename__ = "custody_signers"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)  # as minisign prints it
    name: Mapped[str] = mapped_column(String(100))
    public_key: Mapped[str] = mapped_column(Text)  # the RW... line
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    added_by: Mapped[str] = mapped_column(String(255))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(255))
    revoked_reason: Mapped[str | None] = mapped_column(Text)


def active_signer_keys() -> dict[str, str]:
    """Public keys of listed, unrevoked signers by key id."""
    rows = db.session.execute(
        select(CustodySigner.key_id, CustodySigner.public_key).where(
            CustodySigner.revoked_at.is_(None)
        )
    )
    return {key_id: public_key for key_id, public_key in rows}


def revoked_signer_ids() -> set[str]:
    return set(
        db.session.scalars(
            select(CustodySigner.key_id).where(CustodySigner.revoked_at.is_not(None))
        )
    )
