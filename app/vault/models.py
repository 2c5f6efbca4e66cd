"""Evidence items, their derivatives and resumable upload sessions (the vault's database rows).

Evidence bytes never live in the database: a row points at an age-encrypted blob by its key,
and carries the SHA-256 of the ORIGINAL plaintext as recorded at intake (the fixity reference).
Anything that may name a person (original filename, client-reported capture facts, extracted
metadata such as GPS) is stored in encrypted columns.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, Select, String, select
from sqlalchemy.orm import Load, Mapped, load_only, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.investigations.viewer import ledger_object_kind
from app.security.encrypted_type import ClientIdMixin, EncryptedText, SealedText
from app.timeutil import utcnow

if TYPE_CHECKING:
    from app.investigations.viewer import InvestigationViewer


class EvidenceKind(enum.StrEnum):
    PHOTO = "photo"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    WEB_CAPTURE = "web_capture"  # a WACZ package or a WARC file (app/webcapture)


class DerivativeKind(enum.StrEnum):
    THUMBNAIL = "thumbnail"  # small JPEG for review pages (photos) or a poster frame (videos)
    STRIPPED = "stripped"  # a photo with every metadata field removed, for sharing
    REDACTED = "redacted"  # a photo, video, recording or PDF with parts removed (case files)
    SCREENSHOT = "screenshot"  # a web capture's screenshot, re-encoded (app/webcapture)


class EvidenceItem(ClientIdMixin, db.Model):
    __tablename__ = "evidence_items"

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    media_type: Mapped[str] = mapped_column(String(100))  # detected from the bytes (libmagic)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # of the original bytes
    blob_key: Mapped[str] = mapped_column(String(200), unique=True)
    original_filename: Mapped[str] = mapped_column(SealedText)
    # JSON text, encrypted: what the client reported (device time, GPS, who captured) ...
    client_facts: Mapped[str | None] = mapped_column(SealedText)
    # ... and what Custos extracted from the file itself. Kept side by side, never merged.
    extracted_metadata: Mapped[str | None] = mapped_column(SealedText)
    uploaded_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    uploaded_by: Mapped[User | None] = relationship()
    derivatives: Mapped[list[Derivative]] = relationship(
        back_populates="evidence", cascade="all, delete-orphan", order_by="Derivative.created_at"
    )


def receipt_columns_only() -> Load:
    """Load an item's ids, type, size and hashes, never its sealed file name, facts or metadata:
    what an intake node's database role may read back (app/security/intake_role.py)."""
    return load_only(
        EvidenceItem.investigation_id,
        EvidenceItem.kind,
        EvidenceItem.media_type,
        EvidenceItem.size,
        EvidenceItem.sha256,
        EvidenceItem.blob_key,
        EvidenceItem.uploaded_by_id,
        EvidenceItem.received_at,
    )


def visible_evidence(stmt: Select, viewer: InvestigationViewer) -> Select:
    """Evidence items are submissions too: field staff see only what they uploaded."""
    return viewer.scope(stmt, EvidenceItem, submitted_by=EvidenceItem.uploaded_by_id)


@ledger_object_kind("evidence")
def visible_evidence_ids(viewer: InvestigationViewer) -> Select:
    """The ids of the evidence the viewer may see (ledger entries about them are theirs too)."""
    return visible_evidence(select(EvidenceItem.id), viewer)


@ledger_object_kind("derivative")
def visible_derivative_ids(viewer: InvestigationViewer) -> Select:
    return select(Derivative.id).where(Derivative.evidence_id.in_(visible_evidence_ids(viewer)))


class Derivative(ClientIdMixin, db.Model):
    """A file made from an evidence item (thumbnail, stripped, redacted); never replaces it."""

    __tablename__ = "evidence_derivatives"

    evidence_id: Mapped[str] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="CASCADE"), index=True
    )
    # Denormalised so the access scope (investigations/access.py) filters derivatives directly.
    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    blob_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    evidence: Mapped[EvidenceItem] = relationship(back_populates="derivatives")


class UploadSession(ClientIdMixin, db.Model):
    """A resumable (tus 1.0) upload in progress; becomes an EvidenceItem when complete."""

    __tablename__ = "upload_sessions"

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    length: Mapped[int] = mapped_column(BigInteger)  # Upload-Length declared by the client
    offset: Mapped[int] = mapped_column(BigInteger, default=0)  # bytes durably received
    filename: Mapped[str] = mapped_column(EncryptedText)
    client_facts: Mapped[str | None] = mapped_column(EncryptedText)
    # JSON of the incident link the finished item gets (app/vault/incident_links.py), if any.
    incident_link: Mapped[str | None] = mapped_column(EncryptedText)
    # Resumption state of the age stream being written (file key wrapped, chunk counter, the
    # not-yet-sealed tail), owned by app/vault/tus/sessions.py; encrypted because it holds keys.
    stream_state: Mapped[str | None] = mapped_column(EncryptedText)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    spool_key: Mapped[str | None] = mapped_column(String(200))
    evidence_id: Mapped[str | None] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="SET NULL")
    )
    # One writer at a time (tus PATCH): a request claims the session by setting a random token
    # and an expiry, renews it while it streams, and clears it when done. A retry that arrives
    # while an earlier request is still writing is refused instead of interleaving bytes.
    lease_token: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class BlobReservation(db.Model):
    """A blob a request holds before any row names it, kept from `blobs gc` (reservations.py)."""

    __tablename__ = "blob_reservations"

    blob_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    reserved_until: Mapped[datetime] = mapped_column(DateTime, index=True)
