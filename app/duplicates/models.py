"""Rows for duplicates: links between two items, and each item's perceptual fingerprint.

A link joins two evidence items of the SAME investigation (never across investigations).
`kind` exact: same SHA-256, flagged at intake, final. `kind` near: a PDQ match suggested by
the processing job, confirmed or rejected by a reviewer. A confirmed link means "one event,
several sources"; both items stay as they were received.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.security.encrypted_type import ClientIdMixin
from app.timeutil import utcnow
from app.vault.models import EvidenceItem


class LinkKind(enum.StrEnum):
    EXACT = "exact"
    NEAR = "near"


class LinkStatus(enum.StrEnum):
    CONFIRMED = "confirmed"  # an exact duplicate is confirmed by its hash at once
    SUGGESTED = "suggested"  # a near match waiting for a reviewer
    REJECTED = "rejected"  # a reviewer said these are not the same capture


class FingerprintStatus(enum.StrEnum):
    HASHED = "hashed"  # at least one usable hash (quality >= the threshold)
    FEATURELESS = "featureless"  # hashed, but every hash is below the quality threshold
    FAILED = "failed"  # the file could not be decoded
    UNSUPPORTED = "unsupported"  # not a photo or a video


class EvidenceLink(ClientIdMixin, db.Model):
    """Two items of one investigation that are (or may be) the same capture."""

    __tablename__ = "evidence_links"
    __table_args__ = (
        # One link per pair and kind; the older item is always `first`.
        UniqueConstraint("first_id", "second_id", "kind"),
        CheckConstraint("first_id <> second_id", name="two_items"),
    )

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    first_id: Mapped[str] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="CASCADE"), index=True
    )
    second_id: Mapped[str] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12))
    # Near links: the smallest Hamming distance found (photos) and the shares of frames that
    # matched in each direction (videos, vPDQ), with the implementation that hashed both.
    distance: Mapped[int | None] = mapped_column(Integer)
    first_share: Mapped[float | None] = mapped_column(Float)
    second_share: Mapped[float | None] = mapped_column(Float)
    implementation: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)

    first: Mapped[EvidenceItem] = relationship(foreign_keys=[first_id])
    second: Mapped[EvidenceItem] = relationship(foreign_keys=[second_id])
    decided_by: Mapped[User | None] = relationship()

    def other(self, evidence_id: str) -> EvidenceItem:
        return self.second if evidence_id == self.first_id else self.first


class MediaFingerprint(ClientIdMixin, db.Model):
    """An item's PDQ hashes by one implementation: one frame for a photo, sampled frames for
    a video. Denormalised investigation id: matches are looked up within it only."""

    __tablename__ = "media_fingerprints"
    __table_args__ = (UniqueConstraint("evidence_id", "implementation"),)

    evidence_id: Mapped[str] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="CASCADE"), index=True
    )
    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    algorithm: Mapped[str] = mapped_column(String(16))  # "pdq"
    implementation: Mapped[str] = mapped_column(String(64))  # e.g. "pdqhash 0.2.8"
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    frames: Mapped[list[FingerprintFrame]] = relationship(
        back_populates="fingerprint",
        cascade="all, delete-orphan",
        order_by="FingerprintFrame.position",
    )


class FingerprintFrame(ClientIdMixin, db.Model):
    """One hashed picture: a photo, or a video frame at `position` seconds."""

    __tablename__ = "fingerprint_frames"

    fingerprint_id: Mapped[str] = mapped_column(
        ForeignKey("media_fingerprints.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    quality: Mapped[int] = mapped_column(Integer)
    # 256 bits as 64 hex digits: the picture as it is, then its eight rotations and mirrors
    # (the first of which is the picture itself), 8 x 64 hex digits.
    hash_hex: Mapped[str] = mapped_column(String(64))
    dihedral_hex: Mapped[str] = mapped_column(Text)

    fingerprint: Mapped[MediaFingerprint] = relationship(back_populates="frames")
    # Deleted with the frame on every database (SQLite here does not enforce foreign keys).
    index_entry: Mapped[PdqIndexEntry | None] = relationship(cascade="all, delete-orphan")


class PdqIndexEntry(db.Model):
    """A usable frame's hash cut into 11 chunks, each indexed: the near-duplicate lookup.

    Multi-index hashing (app/duplicates/pdq_index.py): two hashes at most 31 bits apart have
    at least one chunk at most 2 bits apart, so the lookup probes each chunk's index with the
    query's chunks and their 1- and 2-bit neighbours and checks the exact distance of the few
    rows found. The chunks, read in order, are the hash. Frames below the quality threshold
    never match and are not indexed. Denormalised investigation id: the lookup reads rows of
    the query's investigation only.
    """

    __tablename__ = "pdq_index"

    frame_id: Mapped[str] = mapped_column(
        ForeignKey("fingerprint_frames.id", ondelete="CASCADE"), primary_key=True
    )
    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT")
    )
    c0: Mapped[int] = mapped_column(Integer, index=True)
    c1: Mapped[int] = mapped_column(Integer, index=True)
    c2: Mapped[int] = mapped_column(Integer, index=True)
    c3: Mapped[int] = mapped_column(Integer, index=True)
    c4: Mapped[int] = mapped_column(Integer, index=True)
    c5: Mapped[int] = mapped_column(Integer, index=True)
    c6: Mapped[int] = mapped_column(Integer, index=True)
    c7: Mapped[int] = mapped_column(Integer, index=True)
    c8: Mapped[int] = mapped_column(Integer, index=True)
    c9: Mapped[int] = mapped_column(Integer, index=True)
    c10: Mapped[int] = mapped_column(Integer, index=True)
