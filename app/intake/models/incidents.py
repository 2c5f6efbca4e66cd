"""Incidents (attacks): when, where, what weapon, what was hit, who is alleged, casualties."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.intake.models.taxonomy import TargetType, WeaponType
from app.intake.particulars import Particulars
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
    # The database refuses what the services refuse, so no other writer can store it either;
    # sealed values (coordinates among them) it cannot see, so the services alone check them.
    __table_args__ = (
        CheckConstraint("killed IS NULL OR killed >= 0", name="killed_not_negative"),
        CheckConstraint("injured IS NULL OR injured >= 0", name="injured_not_negative"),
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
    # Where and who: place name, area, coordinates and their precision, alleged perpetrators,
    # sealed together as one JSON value (app/intake/particulars.py); read them through
    # `where_and_who` and the properties below, write them with `set_particulars`.
    particulars: Mapped[str | None] = mapped_column(SealedText)
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
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Incident {self.id}>"

    @property
    def where_and_who(self) -> Particulars:
        """The particulars opened (parsed once per value); the sentence on a node that cannot."""
        raw = self.particulars
        cached = self.__dict__.get(_PARSED)
        if cached is not None and cached[0] is raw:
            return cached[1]
        parsed = Particulars.from_text(raw)
        self.__dict__[_PARSED] = (raw, parsed)
        return parsed

    def set_particulars(self, particulars: Particulars) -> None:
        self.particulars = particulars.to_text()

    @property
    def place_name(self) -> str:
        return self.where_and_who.place_name

    @property
    def admin_area(self) -> str:
        return self.where_and_who.admin_area

    @property
    def latitude(self) -> float | None:
        return self.where_and_who.latitude

    @property
    def longitude(self) -> float | None:
        return self.where_and_who.longitude

    @property
    def precision_m(self) -> int | None:
        return self.where_and_who.precision_m

    @property
    def perpetrators(self) -> tuple[str, ...]:
        """The alleged perpetrators' names, in the order given."""
        return self.where_and_who.perpetrators


# Where an incident keeps its parsed particulars, beside the value they were parsed from (a
# plain instance attribute: SQLAlchemy leaves keys it does not map alone).
_PARSED = "_custos_particulars_parsed"
