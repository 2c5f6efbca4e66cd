"""Incidents (attacks): when, where, what weapon, what was hit, who is alleged, casualties."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.intake.models.taxonomy import TargetType, WeaponType
from app.security.encrypted_type import ClientIdMixin, SealedText
from app.security.sealed_sizes import SealedSizesMixin
from app.timeutil import utcnow


class TimeCertainty(enum.StrEnum):
    """How precisely the time of an incident is known; every page shows it as it was entered."""

    EXACT = "exact"  # date and time known
    ABOUT = "about"  # about occurred_from, give or take uncertainty_minutes
    DAY = "day"  # the day is known, not the time
    RANGE = "range"  # somewhere between two moments (within a day or across days)
    DAYS = "days"  # somewhere between two days, the times not known


incident_targets = Table(
    "incident_targets",
    db.metadata,
    Column("incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("target_code", ForeignKey("target_types.code", ondelete="RESTRICT"), primary_key=True),
)


class Incident(ClientIdMixin, SealedSizesMixin, db.Model):
    __tablename__ = "incidents"
    # The database refuses what the services refuse, so no other writer can store it either.
    __table_args__ = (
        CheckConstraint("killed IS NULL OR killed >= 0", name="killed_not_negative"),
        CheckConstraint("injured IS NULL OR injured >= 0", name="injured_not_negative"),
        CheckConstraint(
            "latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude_range"
        ),
        CheckConstraint(
            "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
            name="longitude_range",
        ),
        CheckConstraint(
            "occurred_to IS NULL OR occurred_to >= occurred_from", name="range_in_order"
        ),
        CheckConstraint(
            "uncertainty_minutes IS NULL OR "
            "(uncertainty_minutes >= 1 AND uncertainty_minutes <= 1440)",
            name="uncertainty_range",
        ),
    )

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    # Times are local times at the place, as witnesses and sources report them.
    time_certainty: Mapped[str] = mapped_column(String(8))
    occurred_from: Mapped[datetime] = mapped_column(DateTime, index=True)
    occurred_to: Mapped[datetime | None] = mapped_column(DateTime)
    # For an approximate time: give or take this many minutes (1 minute to 24 hours).
    uncertainty_minutes: Mapped[int | None] = mapped_column(Integer)
    place_name: Mapped[str] = mapped_column(String(200))
    admin_area: Mapped[str] = mapped_column(String(120), default="", index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    precision_m: Mapped[int | None] = mapped_column(Integer)
    weapon_code: Mapped[str | None] = mapped_column(
        ForeignKey("weapon_types.code", ondelete="RESTRICT"), index=True
    )
    killed: Mapped[int | None] = mapped_column(Integer)
    injured: Mapped[int | None] = mapped_column(Integer)
    # Free text that may name a person (a doctor, a rescuer): encrypted like any such text.
    casualties_reported_by: Mapped[str | None] = mapped_column(SealedText)
    description: Mapped[str | None] = mapped_column(SealedText)
    # What the target was when none of the list fits (target "other"), in the person's words.
    target_note: Mapped[str | None] = mapped_column(SealedText)
    created_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    weapon: Mapped[WeaponType | None] = relationship()
    targets: Mapped[list[TargetType]] = relationship(
        secondary=incident_targets, order_by=TargetType.position
    )
    perpetrators: Mapped[list[IncidentPerpetrator]] = relationship(
        back_populates="incident",
        cascade="all, delete-orphan",
        order_by="IncidentPerpetrator.position",
    )
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Incident {self.id}>"


class IncidentPerpetrator(db.Model):
    """One alleged perpetrator (a party, unit or person); an incident can have several."""

    __tablename__ = "incident_perpetrators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))

    incident: Mapped[Incident] = relationship(back_populates="perpetrators")
