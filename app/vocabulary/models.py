"""The label of one code of a closed vocabulary, in English, Arabic and Russian."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.label_translations import in_reader_language
from app.timeutil import utcnow


class VocabularyLabel(db.Model):
    """What people read for a code the code base defines (a consent purpose, a custody action).

    The code is what records store and never changes; the labels are data admins edit
    (app/taxonomy/<vocabulary>.yaml ships them). Empty label_ar/label_ru: English is shown.
    """

    __tablename__ = "vocabulary_labels"

    vocabulary: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    label_ar: Mapped[str] = mapped_column(String(200), default="", server_default="")
    label_ru: Mapped[str] = mapped_column(String(200), default="", server_default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def shown_label(self) -> str:
        return in_reader_language(self, "label")

    def __repr__(self) -> str:
        return f"<VocabularyLabel {self.vocabulary}:{self.code}>"
