"""Legal frameworks as data: a framework (e.g. Rome Statute art. 8), its crimes and their elements.

Shipped frameworks come from app/taxonomy/legal/*.yaml; administrators upload others (crimes
against humanity, a national code) through the admin page, without code changes. Rows are never
edited or deleted once case files point at them: a later version is a new framework code.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.label_translations import in_reader_language
from app.timeutil import utcnow


class ElementKind(enum.StrEnum):
    MATERIAL = "material"  # conduct or consequence
    CIRCUMSTANCE = "circumstance"
    MENTAL = "mental"  # intent, knowledge
    CONTEXTUAL = "contextual"  # nexus with the armed conflict, awareness of it


class LegalFramework(db.Model):
    __tablename__ = "legal_frameworks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    # The title in the interface's other languages; empty means "show the English one".
    title_ar: Mapped[str] = mapped_column(String(300), default="", server_default="")
    title_ru: Mapped[str] = mapped_column(String(300), default="", server_default="")
    source: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    origin: Mapped[str] = mapped_column(String(16), default="shipped")  # shipped | uploaded
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    crimes: Mapped[list[LegalCrime]] = relationship(
        back_populates="framework", order_by="LegalCrime.position"
    )

    @property
    def shown_title(self) -> str:
        """The title in the reader's language (English when it has no translation)."""
        return in_reader_language(self, "title")


class LegalCrime(db.Model):
    """One crime a case file can be characterised as, e.g. 8(2)(b)(i) attacking civilians."""

    __tablename__ = "legal_crimes"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    framework_id: Mapped[int] = mapped_column(
        ForeignKey("legal_frameworks.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    # The title in the interface's other languages; empty means "show the English one".
    title_ar: Mapped[str] = mapped_column(String(300), default="", server_default="")
    title_ru: Mapped[str] = mapped_column(String(300), default="", server_default="")
    context: Mapped[str] = mapped_column(String(40), default="")
    citation: Mapped[str] = mapped_column(String(300), default="")
    counterpart: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    framework: Mapped[LegalFramework] = relationship(back_populates="crimes")
    elements: Mapped[list[LegalElement]] = relationship(
        back_populates="crime", order_by="LegalElement.position"
    )

    @property
    def label(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def shown_title(self) -> str:
        """The title in the reader's language (English when it has no translation)."""
        return in_reader_language(self, "title")


class LegalElement(db.Model):
    """One element of a crime (paraphrased, with the citation of the authentic text)."""

    __tablename__ = "legal_elements"
    __table_args__ = (UniqueConstraint("crime_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crime_id: Mapped[int] = mapped_column(
        ForeignKey("legal_crimes.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    # The text in the interface's other languages (a translation of our paraphrase, a reading
    # aid like the English; the authentic text the citation names governs). Empty: English.
    text_ar: Mapped[str] = mapped_column(Text, default="", server_default="")
    text_ru: Mapped[str] = mapped_column(Text, default="", server_default="")
    citation: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    crime: Mapped[LegalCrime] = relationship(back_populates="elements")

    @property
    def label(self) -> str:
        return f"{self.crime.code} el. {self.code}"

    @property
    def shown_text(self) -> str:
        """The text in the reader's language (English when it has no translation)."""
        return in_reader_language(self, "text")
