"""A case-file item removed from its file, kept for a while so that the removal can be undone.

The snapshot holds the item's element links, grades, notes and corroborations as they were
(rationales and notes may name a person, so it is encrypted like them). It is deleted when the
removal is undone or when its undo window ends (CUSTOS_CASEFILE_UNDO_HOURS).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.security.encrypted_type import ClientIdMixin, EncryptedText
from app.timeutil import utcnow


class RemovedCaseItem(ClientIdMixin, db.Model):
    __tablename__ = "casefile_removed_items"

    casefile_id: Mapped[str] = mapped_column(
        ForeignKey("casefiles.id", ondelete="CASCADE"), index=True
    )
    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    case_item_id: Mapped[str] = mapped_column(String(36))  # the removed row's id, reused on undo
    item_type: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(36))
    snapshot: Mapped[str] = mapped_column(EncryptedText)  # JSON: links, grades, notes, links out
    removed_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    removed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    restorable_until: Mapped[datetime] = mapped_column(DateTime, index=True)

    removed_by: Mapped[User | None] = relationship()
