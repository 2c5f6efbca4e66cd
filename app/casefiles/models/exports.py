"""Case-file exports: what was asked for, by whom, for whom, and what came out (hashes, size)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.jobs.models import Job
from app.security.encrypted_type import ClientIdMixin, EncryptedText
from app.timeutil import utcnow


class FileChoice(enum.StrEnum):
    ORIGINALS = "originals"
    REDACTED = "redacted"
    BOTH = "both"


class Destination(enum.StrEnum):
    """Where an export goes; each names the consent purposes it needs (services/destinations)."""

    COURT = "court"  # a court or prosecutor
    UN_MECHANISM = "un_mechanism"  # a UN investigative mechanism or commission of inquiry
    PARTNER = "partner"  # another organisation under a data-sharing agreement
    PUBLICATION = "publication"  # publication or media
    INTERNAL_REVIEW = "internal_review"  # inside the organisation


class CaseExport(ClientIdMixin, db.Model):
    __tablename__ = "casefile_exports"

    casefile_id: Mapped[str] = mapped_column(
        ForeignKey("casefiles.id", ondelete="CASCADE"), index=True
    )
    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    requested_by_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    files: Mapped[str] = mapped_column(String(16), default=FileChoice.ORIGINALS.value)
    destination: Mapped[str] = mapped_column(
        String(32), default=Destination.INTERNAL_REVIEW.value, server_default="court"
    )
    # Why the delivered tar is not encrypted to a recipient's key (it is then plaintext once
    # downloaded); None when it is encrypted to the recipient.
    unencrypted_reason: Mapped[str | None] = mapped_column(EncryptedText)
    # A redacted export may carry the photo's GPS position rounded to this many decimals
    # (0: about 111 km, 1: about 11 km, 2: about 1 km); None leaves the position out.
    location_precision: Mapped[int | None] = mapped_column(Integer)
    # Whom the bag is for (a prosecutor's office, a UN body): may name a person, so encrypted.
    for_whom: Mapped[str] = mapped_column(EncryptedText)
    recipient: Mapped[str | None] = mapped_column(String(120))  # an age public key (age1...)
    # Witness ids (never names) the exporter ticked to be named, each re-checked at export time.
    named_witness_ids: Mapped[list] = mapped_column(JSON, default=list)
    # The SHA-256 of tagmanifest-sha256.txt (what the minisign signature covers) and of the
    # delivered file (the .tar.age, or the tar served for download).
    tagmanifest_sha256: Mapped[str | None] = mapped_column(String(64))
    output_sha256: Mapped[str | None] = mapped_column(String(64))
    output_size: Mapped[int | None] = mapped_column(BigInteger)
    output_path: Mapped[str | None] = mapped_column(String(500))
    # [{"item_type", "item_id", "label", "reason"}]: pseudonyms and ids only.
    excluded: Mapped[list] = mapped_column(JSON, default=list)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # What the finished bag holds, for withdrawal and per-item download records: the
    # witnesses whose testimony (or its recordings) is in it, and [item_type, item_id] pairs.
    witness_ids: Mapped[list | None] = mapped_column(JSON, default=list)
    item_refs: Mapped[list | None] = mapped_column(JSON, default=list)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    # Set when the bag stops being offered (consent withdrawn, expired): its file is deleted.
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(String(300))

    requested_by: Mapped[User] = relationship()
    job: Mapped[Job | None] = relationship()
