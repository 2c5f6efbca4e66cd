"""Encrypted submissions an intake node kept sealed for the reading node: manifest and files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.security.encrypted_type import ClientIdMixin
from app.timeutil import utcnow

PENDING = "pending"
OPENED = "opened"
REFUSED = "refused"


class SealedSubmission(ClientIdMixin, db.Model):
    """One encrypted submission as the phone sent it to an intake node, keyed by instanceID.

    The manifest is what ODK sends in clear (form id, version, instanceID, the file key
    wrapped to the reading node's RSA key, the file list, the encrypted element signature);
    nothing in it is an answer. The reading node opens it (app/openrosa/sealed_opening.py):
    `opened` with the submission it became, or `refused` with the reason.
    """

    __tablename__ = "openrosa_sealed_submissions"
    __table_args__ = (
        UniqueConstraint("investigation_id", "instance_id", name="uq_openrosa_sealed_instance"),
    )

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    instance_id: Mapped[str] = mapped_column(String(100))
    form_id: Mapped[str] = mapped_column(String(64))
    form_version: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(ForeignKey("openrosa_devices.id", ondelete="RESTRICT"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    manifest: Mapped[str] = mapped_column(Text)
    # SHA-256 of the manifest as sent: a resend must carry the same one.
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    refused_reason: Mapped[str | None] = mapped_column(String(300))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime)
    submission_id: Mapped[str | None] = mapped_column(
        ForeignKey("openrosa_submissions.id", ondelete="RESTRICT")
    )

    files: Mapped[list[SealedFile]] = relationship(order_by="SealedFile.position")


class SealedFile(ClientIdMixin, db.Model):
    """One `.enc` file of a sealed submission, stored as received (age-encrypted once more)."""

    __tablename__ = "openrosa_sealed_files"
    __table_args__ = (
        UniqueConstraint("sealed_submission_id", "name", name="uq_openrosa_sealed_file"),
    )

    sealed_submission_id: Mapped[str] = mapped_column(
        ForeignKey("openrosa_sealed_submissions.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))  # as the manifest names it, `.enc` included
    position: Mapped[int] = mapped_column(Integer)  # its place in the manifest's order
    # None once the reading node has opened it: the evidence items hold the files from then
    # on, and this copy is deleted (so destroying an item leaves no openable copy behind).
    blob_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))  # of the ciphertext as received
