"""Evidence tied to incidents: the link rows (one item, many incidents) and what each shows.

The rows live beside the evidence they describe; which incidents exist, and whether a link is
allowed, is the intake package's business (app/intake/services/evidence_links.py), which sits
above the vault and registers itself here (`register_incident_directory`) so the vault's pages
can offer incidents without importing intake. A link is never edited: linking and unlinking
are rows added and removed, each recorded in the custody ledger.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.security.encrypted_type import ClientIdMixin, SealedText
from app.timeutil import utcnow
from app.vault.models import EvidenceItem

if TYPE_CHECKING:
    from app.investigations.models import Investigation
    from app.investigations.viewer import InvestigationViewer


class EvidenceShows(enum.StrEnum):
    """What an item shows of the incident it is linked to."""

    ATTACK = "attack"  # the attack itself, as it happened
    AFTERMATH = "aftermath"
    VICTIMS = "victims"
    SITE_BEFORE = "site_before"  # the place before the attack (for comparison)
    WEAPON_REMNANT = "weapon_remnant"
    OTHER = "other"  # says what in the note


SHOWS_LABELS = {
    EvidenceShows.ATTACK.value: _l("The attack itself"),
    EvidenceShows.AFTERMATH.value: _l("Its aftermath"),
    EvidenceShows.VICTIMS.value: _l("Victims"),
    EvidenceShows.SITE_BEFORE.value: _l("The site before"),
    EvidenceShows.WEAPON_REMNANT.value: _l("A weapon remnant"),
    EvidenceShows.OTHER.value: _l("Other (say what in the note)"),
}


class IncidentEvidence(ClientIdMixin, db.Model):
    """One evidence item linked to one incident of the same investigation."""

    __tablename__ = "incident_evidence"
    __table_args__ = (
        UniqueConstraint("evidence_id", "incident_id", name="uq_incident_evidence_pair"),
    )

    investigation_id: Mapped[str] = mapped_column(
        ForeignKey("investigations.id", ondelete="RESTRICT"), index=True
    )
    evidence_id: Mapped[str] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="RESTRICT"), index=True
    )
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="RESTRICT"), index=True
    )
    shows: Mapped[str] = mapped_column(String(16))
    # Free text may describe the victims: sealed like other field notes.
    note: Mapped[str | None] = mapped_column(SealedText)
    linked_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    evidence: Mapped[EvidenceItem] = relationship()
    linked_by: Mapped[User | None] = relationship()


@dataclass(frozen=True)
class UploadLink:
    """An upload's request to be tied to an incident, already checked; applied per stored file."""

    incident_id: str
    shows: str
    note: str

    def apply(self, item: EvidenceItem) -> None:
        _directory().link_new_upload(self, item)


@dataclass(frozen=True)
class IncidentDirectory:
    """What the intake package offers the vault's pages about incidents."""

    # (id, label) of the incidents the viewer may link to, newest first.
    choices: Callable[[InvestigationViewer], list[tuple[str, str]]]
    # Check an upload's incident fields before any byte is stored; None when none was chosen.
    # Raises app.vault.upload.refusals.IntakeRefused with a message saying what is wrong.
    upload_link: Callable[[Investigation, Any, dict[str, str]], UploadLink | None]
    # Link a just-recorded upload, inside the transaction that records it.
    link_new_upload: Callable[[UploadLink, EvidenceItem], None]


_DIRECTORY: list[IncidentDirectory] = []


def register_incident_directory(directory: IncidentDirectory) -> None:
    _DIRECTORY[:] = [directory]


def _directory() -> IncidentDirectory:
    if not _DIRECTORY:
        raise RuntimeError("the intake package registers the incident directory at import")
    return _DIRECTORY[0]


def incident_choices(viewer: InvestigationViewer) -> list[tuple[str, str]]:
    return _directory().choices(viewer)


def upload_link(
    investigation: Investigation, user: Any, fields: dict[str, str]
) -> UploadLink | None:
    return _directory().upload_link(investigation, user, fields)


@dataclass(frozen=True)
class ItemIncidentLink:
    """One of an item's links as its page shows it."""

    incident_id: str
    incident_label: str
    shows: str
    note: str | None
    linked_at: datetime


def links_by_item(
    viewer: InvestigationViewer, item_ids: list[str]
) -> dict[str, list[ItemIncidentLink]]:
    """The incident links of items already fetched through the viewer, in one query."""
    if not item_ids:
        return {}
    labels = dict(incident_choices(viewer))
    rows = db.session.scalars(
        select(IncidentEvidence)
        .where(IncidentEvidence.evidence_id.in_(item_ids))
        .order_by(IncidentEvidence.linked_at, IncidentEvidence.id)
    )
    found: dict[str, list[ItemIncidentLink]] = {}
    for row in rows:
        if row.incident_id in labels:
            link = ItemIncidentLink(
                row.incident_id, labels[row.incident_id], row.shows, row.note, row.linked_at
            )
            found.setdefault(row.evidence_id, []).append(link)
    return found


def item_incident_links(viewer: InvestigationViewer, item: EvidenceItem) -> list[ItemIncidentLink]:
    """The incidents an item (already fetched through the viewer) is linked to, by label."""
    return links_by_item(viewer, [item.id]).get(item.id, [])
