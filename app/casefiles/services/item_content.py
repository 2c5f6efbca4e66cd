"""What a case-file item page shows of the item itself: thumbnail, testimony, facts, its source.

A reviewer judges an item from the case file without leaving it (issue 18, item 2). Everything
here is read through the same viewer and rules as the item's own page, and recorded the same way:
the testimony as a testimony read, an evidence record as an evidence read (app/accesslog). File
names and capture facts only with the identity grant; the thumbnail is served by the vault's
derivative route, which checks the viewer again and records its own custody entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.casefiles.models import ItemType
from app.extensions import db
from app.intake.services.reads import record_testimony_read
from app.intake.when import incident_when
from app.investigations.viewer import InvestigationViewer
from app.security.org_keys import intake_only
from app.vault.models import DerivativeKind
from app.vault.reading.evidence import record_evidence_read, shown_name
from app.vault.reading.item_view import capture_time

EXCERPT_CHARS = 280


@dataclass(frozen=True)
class ItemContent:
    """The item as its case-file page shows it; every field already cleared for the viewer."""

    source_endpoint: str  # the item's own page, with `source_args`
    source_args: dict[str, str]
    thumbnail_id: str | None = None  # a derivative of the evidence, served by the vault
    file_name: str | None = None  # the original with the identity grant, else the neutral one
    captured: str | None = None  # only with the identity grant
    transcript: str | None = None
    description: str | None = None
    when: str | None = None

    @property
    def excerpt(self) -> str:
        text = (self.transcript or self.description or "").strip()
        if len(text) <= EXCERPT_CHARS:
            return text
        return text[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"


def item_content(viewer: InvestigationViewer, item_type: str, obj: Any) -> ItemContent:
    """What the page shows of `obj` (already fetched through the scope); reads recorded."""
    reference = viewer.investigation.reference
    if item_type == ItemType.INTERVIEW.value:
        return _testimony(viewer, obj, reference)
    if item_type == ItemType.INCIDENT.value:
        return ItemContent(
            "intake.incident",
            {"reference": reference, "incident_id": obj.id},
            description=None if intake_only() else (obj.description or ""),
            when=incident_when(obj),
        )
    return _evidence(viewer, obj, reference)


def _testimony(viewer: InvestigationViewer, interview: Any, reference: str) -> ItemContent:
    source = ("intake.interview", {"reference": reference, "interview_id": interview.id})
    if intake_only():  # an intake-only node cannot read testimony back
        return ItemContent(*source)
    record_testimony_read(viewer, interview)  # commits before the page is sent
    return ItemContent(*source, transcript=interview.transcript or "")


def _evidence(viewer: InvestigationViewer, evidence: Any, reference: str) -> ItemContent:
    thumbnail = next(
        (d.id for d in evidence.derivatives if d.kind == DerivativeKind.THUMBNAIL), None
    )
    names_visible = viewer.may_see_identities
    record_evidence_read(viewer, evidence)
    db.session.commit()
    return ItemContent(
        "vault.evidence_item",
        {"reference": reference, "evidence_id": evidence.id},
        thumbnail_id=thumbnail,
        file_name=shown_name(viewer, evidence),
        captured=capture_time(evidence) if names_visible else None,
    )
