"""Phone devices that submit over OpenRosa, and the submissions they sent (keyed by instanceID)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.security.encrypted_type import ClientIdMixin
from app.timeutil import utcnow


class DeviceCredential(ClientIdMixin, db.Model):
    """A credential for one phone app, of one user, for one investigation, to submit only.

    Revoked credentials stay, as the record of what was submitted with them.
    """

    __tablename__ = "openrosa_devices"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    # The HTTP Basic user name the app sends: random, public, names nobody.
    username: Mapped[str] = mapped_column(String(40), unique=True)
    # SHA-256 (hex) of the password; the password itself is shown once and never stored.
    secret_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or utcnow())


class OpenRosaSubmission(ClientIdMixin, db.Model):
    """One form instance a device sent, whole or in several POSTs; instanceID is its key.

    Created in the transaction that stores its first attachment, or that records the
    submission when it has none: a refused or broken-off request leaves no row.
    """

    __tablename__ = "openrosa_submissions"
    __table_args__ = (
        UniqueConstraint("investigation_id", "instance_id", name="uq_openrosa_instance"),
    )

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    instance_id: Mapped[str] = mapped_column(String(100))
    form_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(ForeignKey("openrosa_devices.id", ondelete="RESTRICT"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # SHA-256 of the submission XML: a resend must carry the same document.
    xml_sha256: Mapped[str] = mapped_column(String(64))
    # What the submission became, once complete: an interview draft, a witness or an incident.
    interview_id: Mapped[str | None] = mapped_column(
        ForeignKey("interviews.id", ondelete="RESTRICT")
    )
    witness_id: Mapped[str | None] = mapped_column(ForeignKey("witnesses.id", ondelete="RESTRICT"))
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incidents.id", ondelete="RESTRICT"))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)

    attachments: Mapped[list[OpenRosaAttachment]] = relationship(
        order_by="OpenRosaAttachment.received_at"
    )


class OpenRosaAttachment(ClientIdMixin, db.Model):
    """One attachment of a submission, stored as an evidence item; its name is the key."""

    __tablename__ = "openrosa_attachments"
    __table_args__ = (UniqueConstraint("submission_id", "name", name="uq_openrosa_attachment"),)

    submission_id: Mapped[str] = mapped_column(
        ForeignKey("openrosa_submissions.id", ondelete="RESTRICT"), index=True
    )
    # The file name the app gave it (e.g. 1733460000000.jpg): what the XML names.
    name: Mapped[str] = mapped_column(String(255))
    evidence_id: Mapped[str] = mapped_column(ForeignKey("evidence_items.id", ondelete="RESTRICT"))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
