"""Linking evidence items to incidents, and unlinking them: checked, ledgered, within the viewer.

A member links an item they may see (field staff: their own uploads; reviewers: any) to an
incident of the same investigation, saying what the item shows. Each link and unlink is a
custody entry on the item (`linked_to_incident` / `unlinked_from_incident`) naming the
incident and what it shows; the free-text note never enters the ledger (it may describe
people), only its SHA-256. The services add to the session; the caller commits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.custody.ledger import append_custody_event
from app.extensions import db
from app.intake.errors import FieldError, IntakeValidationError, field_error
from app.intake.models import Incident
from app.intake.services.search import LABEL_LOAD
from app.intake.textinput import clean_text, looks_like_row_id
from app.intake.visibility import incident_or_404, visible_incidents
from app.intake.when import incident_when
from app.investigations.models import Investigation
from app.investigations.viewer import InvestigationViewer, viewer_of
from app.security.org_keys import intake_only
from app.timeutil import utcnow
from app.vault.incident_links import (
    EvidenceShows,
    IncidentDirectory,
    IncidentEvidence,
    UploadLink,
    register_incident_directory,
)
from app.vault.models import (
    Derivative,
    DerivativeKind,
    EvidenceItem,
    EvidenceKind,
    visible_evidence,
)
from app.vault.reading.evidence import shown_name
from app.vault.upload.refusals import IntakeRefused

MAX_NOTE = 500
SHOWS = tuple(shows.value for shows in EvidenceShows)


def checked_link(
    viewer: InvestigationViewer, incident_id: str | None, shows: str | None, note: str | None
) -> UploadLink:
    """The link as asked, once every part is valid; IntakeValidationError naming each problem."""
    errors: list[FieldError] = []
    known_id = _incident(viewer, incident_id)
    if known_id is None:
        errors.append(FieldError("incident_id", "unknown_incident"))
    if shows not in SHOWS:
        errors.append(FieldError("shows", "unknown_shows"))
    note = clean_text(note)
    if len(note) > MAX_NOTE:
        errors.append(FieldError("note", "too_long"))
    elif shows == EvidenceShows.OTHER.value and not note:
        errors.append(FieldError("note", "note_required"))
    if errors:
        raise IntakeValidationError(errors)
    assert known_id is not None and shows is not None
    return UploadLink(incident_id=known_id, shows=shows, note=note)


def _incident(viewer: InvestigationViewer, incident_id: str | None) -> str | None:
    """The incident's id if the viewer may choose it (only the key: intake nodes read no more)."""
    if not looks_like_row_id(incident_id):
        return None
    # Scoped to the viewer's investigation: another investigation's incident is unknown here.
    return db.session.scalar(
        visible_incidents(select(Incident.id), viewer).where(Incident.id == incident_id)
    )


def link_to_incident(
    viewer: InvestigationViewer, item: EvidenceItem, link: UploadLink
) -> IncidentEvidence:
    """Tie an item the viewer may see (the caller fetched it through the viewer) to an incident."""
    # Ids only: an intake node's role may not read a link's sealed note.
    existing = db.session.scalar(
        select(IncidentEvidence.id).where(
            IncidentEvidence.evidence_id == item.id,
            IncidentEvidence.incident_id == link.incident_id,
        )
    )
    if existing is not None:
        raise field_error("incident_id", "already_linked_incident")
    row = IncidentEvidence(
        investigation_id=item.investigation_id,
        evidence_id=item.id,
        incident_id=link.incident_id,
        shows=link.shows,
        note=link.note or None,
        linked_by_id=viewer.user.id,
        linked_at=utcnow(),
    )
    db.session.add(row)
    details: dict[str, Any] = {"incident_id": link.incident_id, "shows": link.shows}
    if link.note:
        details["note_sha256"] = hashlib.sha256(link.note.encode()).hexdigest()
    append_custody_event(
        item.investigation_id, viewer.user, "linked_to_incident", "evidence", item.id, details
    )
    return row


def unlink_from_incident(viewer: InvestigationViewer, item: EvidenceItem, incident_id: str) -> None:
    """Remove a link (the item and the incident stay); the ledger keeps that it existed.

    An incident the viewer cannot see (another investigation's) is 404, as in every path.
    """
    incident_or_404(viewer, incident_id)
    row = db.session.scalar(
        select(IncidentEvidence).where(
            IncidentEvidence.evidence_id == item.id, IncidentEvidence.incident_id == incident_id
        )
    )
    if not row:
        raise field_error("incident_id", "not_linked_incident")
    details = {"incident_id": row.incident_id, "shows": row.shows}
    db.session.delete(row)
    append_custody_event(
        item.investigation_id, viewer.user, "unlinked_from_incident", "evidence", item.id, details
    )
    db.session.flush()


# --- What the vault's pages ask of intake (app/vault/incident_links.py) ------------------------


def incident_choices(viewer: InvestigationViewer) -> list[tuple[str, str]]:
    """Every incident of the investigation (all members see all incidents), newest first.

    An intake-only node's database role reads no place or time of an incident, only its key
    columns (app/security/intake_role.py): there an incident is named by its day and id.
    """
    if intake_only():
        keys = visible_incidents(select(Incident.id, Incident.occurred_from), viewer)
        rows = db.session.execute(keys.order_by(Incident.occurred_from.desc(), Incident.id))
        return [
            (
                row.id,
                _(
                    "Incident of %(day)s (%(id)s)",
                    day=f"{row.occurred_from:%Y-%m-%d}",
                    id=row.id[:8],
                ),
            )
            for row in rows
        ]
    stmt = (
        visible_incidents(select(Incident), viewer)
        .options(LABEL_LOAD)
        .order_by(Incident.occurred_from.desc(), Incident.id)
    )
    return [(i.id, f"{i.place_name} · {incident_when(i)}") for i in db.session.scalars(stmt)]


def _incident_key_label(incident_id: str, occurred_from: Any) -> str:
    day = f"{occurred_from:%Y-%m-%d}"
    return _("Incident of %(day)s (%(id)s)", day=day, id=incident_id[:8])


def upload_link(
    investigation: Investigation, user: Any, fields: dict[str, str]
) -> UploadLink | None:
    """An upload form's incident fields, checked before any byte; None when no incident chosen."""
    incident_id = str(fields.get("incident_id") or "").strip()
    if not incident_id:
        return None
    viewer = viewer_of(investigation, user)
    try:
        return checked_link(
            viewer, incident_id, fields.get("shows") or None, fields.get("incident_note")
        )
    except IntakeValidationError as exc:
        message = " ".join(error.message for error in exc.errors)
        raise IntakeRefused("bad_incident_link", f"Nothing was stored. {message}") from None


def link_new_upload(link: UploadLink, item: EvidenceItem) -> None:
    """Link a just-recorded upload, in its recording transaction (its uploader sees it)."""
    investigation = db.session.get(Investigation, item.investigation_id)
    link_to_incident(viewer_of(investigation, item.uploaded_by), item, link)


register_incident_directory(
    IncidentDirectory(
        choices=incident_choices, upload_link=upload_link, link_new_upload=link_new_upload
    )
)


# --- The incident page's evidence ---------------------------------------------------------------


@dataclass(frozen=True)
class IncidentEvidenceCard:
    """One linked item as the incident page shows it to this viewer."""

    item: EvidenceItem
    name: str  # the original file name only with the identity grant (shown_name)
    shows: str
    note: str | None
    thumbnail: Derivative | None
    duration_seconds: float | None  # videos and audio, from the extracted metadata

    @property
    def duration(self) -> str | None:
        """As a player shows it: 1:05, or 1:02:07 past the hour."""
        if self.duration_seconds is None:
            return None
        minutes, seconds = divmod(round(self.duration_seconds), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def incident_evidence(
    viewer: InvestigationViewer, incident: Incident
) -> list[IncidentEvidenceCard]:
    """The items linked to the incident that the viewer may see (field staff: their own)."""
    if intake_only():
        return []  # this node holds no key to show evidence (the vault's pages answer 503)
    stmt = (
        visible_evidence(select(EvidenceItem, IncidentEvidence), viewer)
        .join(IncidentEvidence, IncidentEvidence.evidence_id == EvidenceItem.id)
        .where(IncidentEvidence.incident_id == incident.id)
        .options(selectinload(EvidenceItem.derivatives))
        .order_by(IncidentEvidence.linked_at, IncidentEvidence.id)
    )
    cards = []
    for item, link in db.session.execute(stmt):
        thumbnail = next(
            (d for d in item.derivatives if d.kind == DerivativeKind.THUMBNAIL.value), None
        )
        cards.append(
            IncidentEvidenceCard(
                item=item,
                name=shown_name(viewer, item),
                shows=link.shows,
                note=link.note,
                thumbnail=thumbnail,
                duration_seconds=_duration(item),
            )
        )
    return cards


def _duration(item: EvidenceItem) -> float | None:
    """A recording's length (not a capture fact: it names no time, place or person)."""
    if item.kind not in (EvidenceKind.VIDEO.value, EvidenceKind.AUDIO.value):
        return None
    try:
        fields = json.loads(item.extracted_metadata or "{}").get("fields") or {}
        value = float(fields["duration_seconds"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return value if value >= 0 else None
