"""Rows of retention: legal holds, two-person requests (release, destroy, forget), tombstones."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.security.encrypted_type import ClientIdMixin, EncryptedText
from app.timeutil import utcnow


class HoldTarget(enum.StrEnum):
    INVESTIGATION = "investigation"
    CASEFILE = "casefile"
    EVIDENCE = "evidence"
    WITNESS = "witness"


class RequestKind(enum.StrEnum):
    RELEASE_HOLD = "release_hold"
    DESTROY_EVIDENCE = "destroy_evidence"
    FORGET_WITNESS = "forget_witness"
    DESTROY_IDENTITY = "destroy_identity"  # the identity only: a rule came due, testimony stays


class RequestOutcome(enum.StrEnum):
    APPROVED = "approved"
    REFUSED = "refused"


class RetentionEvent(enum.StrEnum):
    """What a retention period is counted from."""

    RECEIVED = "received"  # the item's intake (for a witness: their registration)
    CASEFILE_CLOSED = "casefile_closed"  # every case file holding it approved for referral
    CONSENT_WITHDRAWN = "consent_withdrawn"  # every witness it belongs to withdrew all consent
    INVESTIGATION_CLOSED = "investigation_closed"
    DATE = "date"  # a fixed date (an agreement's end, a statute's)


class RetentionAction(enum.StrEnum):
    """What happens when the period ends: a lawyer reviews, the item is proposed for
    destruction, or the identity of a witness is (both still take two people)."""

    REVIEW = "review"
    DESTROY_IDENTITY = "destroy_identity"  # rules of witnesses: their identity, nothing else
    DESTROY_ITEM = "destroy_item"


ANY_KIND = "any"


class RetentionRule(ClientIdMixin, db.Model):
    """Keep items of one kind in one investigation for `period_days` after an event."""

    __tablename__ = "retention_rules"
    __table_args__ = (CheckConstraint("period_days >= 0", name="period_not_negative"),)

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    item_kind: Mapped[str] = mapped_column(String(16))  # an EvidenceKind, or "any"
    event: Mapped[str] = mapped_column(String(24))
    event_date: Mapped[date | None] = mapped_column(Date)  # for the "date" event
    period_days: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    created_by: Mapped[User] = relationship()

    def describe(self) -> str:
        """How tombstones and exports name the rule: "destroy_item 30 days after casefile_closed
        (any kind)" (codes, not prose: the same words in every language and in the ledger)."""
        after = self.event
        if self.event_date is not None:
            after = f"{after} {self.event_date.isoformat()}"
        return f"{self.action} {self.period_days} days after {after} ({self.item_kind} kind)"


class LegalHold(ClientIdMixin, db.Model):
    """Keep everything under `target` whatever a rule or a request says, until released by two."""

    __tablename__ = "legal_holds"

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(36), index=True)
    # What pages show for the target: a case-file reference, a witness code, an item id. Never
    # a name: a witness appears by pseudonym only.
    target_label: Mapped[str] = mapped_column(String(96))
    authority: Mapped[str] = mapped_column(String(200))  # who asked: a court, a prosecutor
    authority_reference: Mapped[str] = mapped_column(String(200))  # their order or case number
    # Why, in the asker's words: may name people, so encrypted.
    reason: Mapped[str] = mapped_column(EncryptedText)
    placed_by_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    placed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(DateTime)
    release_request_id: Mapped[str | None] = mapped_column(String(36))

    placed_by: Mapped[User] = relationship()

    @property
    def active(self) -> bool:
        return self.released_at is None

    def describe(self) -> str:
        """How a refusal names the hold: the authority and its reference, never the reason."""
        return f"{self.authority} ({self.authority_reference}) on {self.target_label}"


class RetentionRequest(ClientIdMixin, db.Model):
    """Something one reviewer asks for and a second, different reviewer approves or refuses."""

    __tablename__ = "retention_requests"

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(24))
    target_id: Mapped[str] = mapped_column(String(36), index=True)
    target_label: Mapped[str] = mapped_column(String(96))
    reason: Mapped[str] = mapped_column(EncryptedText)
    requested_by_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    # After a witness is forgotten: what was kept and why ([{"what": ..., "why": ...}]).
    kept: Mapped[list] = mapped_column(JSON, default=list)

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def pending(self) -> bool:
        return self.outcome is None


class EvidenceTombstone(ClientIdMixin, db.Model):
    """What remains of a destroyed evidence item: its fixity facts and who decided, and when."""

    __tablename__ = "evidence_tombstones"

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    evidence_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    derivatives_destroyed: Mapped[int] = mapped_column(Integer, default=0)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("retention_requests.id", ondelete="RESTRICT")
    )
    # The rule that had brought the item due when it was destroyed; none for a request alone.
    rule_id: Mapped[str | None] = mapped_column(
        ForeignKey("retention_rules.id", ondelete="RESTRICT")
    )
    requested_by_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    approved_by_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    destroyed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    request: Mapped[RetentionRequest] = relationship()
    rule: Mapped[RetentionRule | None] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    approved_by: Mapped[User] = relationship(foreign_keys=[approved_by_id])

    def describe(self) -> str:
        """What a case file, its matrix, report and exports say in the item's place (English,
        like every text an export writes)."""
        why = f"under rule {self.rule.describe()}" if self.rule else "on request"
        return (
            f"Destroyed on {self.destroyed_at:%Y-%m-%d %H:%M} UTC {why} (request "
            f"{self.request_id}), asked by {self.requested_by.email} and approved by "
            f"{self.approved_by.email}; SHA-256 {self.sha256}, {self.size} bytes, "
            f"{self.media_type}, kept in its tombstone."
        )


class ObjectLockPending(db.Model):
    """A blob whose Object Lock legal hold could not be set (or cleared) after a commit.

    The database hold stands either way and Custos's own delete guard refuses; the worker's
    maintenance round tries again until the object store agrees, and the holds page shows what
    is still waiting (object_lock.py).
    """

    __tablename__ = "object_lock_pending"

    blob_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    investigation_id: Mapped[str | None] = mapped_column(
        ForeignKey("investigations.id", ondelete="CASCADE"), index=True
    )
    want_hold: Mapped[bool] = mapped_column(Boolean)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_failed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_failed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(String(200))
