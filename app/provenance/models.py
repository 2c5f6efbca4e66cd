"""One capture-proof check of an evidence item (C2PA): its verdict and result, kept sealed;
a re-check is a new row, never a change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.security.encrypted_type import ClientIdMixin, SealedText
from app.timeutil import utcnow


class ProvenanceCheck(ClientIdMixin, db.Model):
    """The result JSON is sealed: a manifest can name the camera's owner, the place and the
    time of capture (identity class). The ledger holds its SHA-256 and the verdict."""

    __tablename__ = "provenance_checks"

    evidence_id: Mapped[str] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="CASCADE"), index=True
    )
    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # c2pa | proofmode
    verdict: Mapped[str] = mapped_column(String(16))  # app/provenance/c2pa_reading.py VERDICTS
    result: Mapped[str] = mapped_column(SealedText)
    result_sha256: Mapped[str] = mapped_column(String(64))
    trust_list_sha256: Mapped[str | None] = mapped_column(String(64))
    checked_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    checked_by: Mapped[User | None] = relationship()


class ProofModeKey(ClientIdMixin, db.Model):
    """A field researcher's ProofMode key, pinned by a lawyer for one investigation.

    ProofMode makes its key on the phone, so a good signature proves only that the bundle
    agrees with the key inside it. Pinning says: this person's bundles come from this key.
    A later bundle from them signed by another key is then reported as such.
    """

    __tablename__ = "proofmode_keys"
    __table_args__ = (UniqueConstraint("investigation_id", "owner_id", "fingerprint"),)

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    evidence_id: Mapped[str | None] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="SET NULL")
    )
    pinned_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pinned_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class WaczKey(ClientIdMixin, db.Model):
    """An anonymous WACZ signing key (ArchiveWeb.page's), pinned by a lawyer for one
    investigation: the investigation's captures are expected to come from this key.

    An anonymous signature proves only that the holder of the key inside the package signed
    it. Pinning says: this investigation's captures come from this key; a capture signed by
    another key is then said to be so. Unpinning removes the row; both are ledger entries.
    """

    __tablename__ = "wacz_keys"
    __table_args__ = (UniqueConstraint("investigation_id", "fingerprint"),)

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64))
    evidence_id: Mapped[str | None] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="SET NULL")
    )
    pinned_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pinned_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    pinned_by: Mapped[User | None] = relationship()
