"""The maintained taxonomies incidents refer to: weapon/munition types and target types."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.label_translations import in_reader_language
from app.timeutil import utcnow


class _TaxonomyTerm:
    """A code (stable, referred to by incidents and exports) with an editable label."""

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    # The label in the interface's other languages; empty means "show the English one".
    label_ar: Mapped[str] = mapped_column(String(120), default="", server_default="")
    label_ru: Mapped[str] = mapped_column(String(120), default="", server_default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Retired terms stay for the incidents that use them but are no longer offered.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def shown_label(self) -> str:
        """The label in the reader's language (English when it has no translation)."""
        return in_reader_language(self, "label")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.code}>"


class WeaponType(_TaxonomyTerm, db.Model):
    """Weapon or munition type (app/taxonomy/weapons.yaml; admins edit it)."""

    __tablename__ = "weapon_types"


class TargetType(_TaxonomyTerm, db.Model):
    """Target or object affected (app/taxonomy/targets.yaml)."""

    __tablename__ = "target_types"
