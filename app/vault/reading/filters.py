"""The evidence list's filters: incident, kind, date taken, (for reviewers) uploader, and
whether an item has provenance findings.

Every filter narrows what `visible_evidence` already grants the viewer; none widens it. Two
need more than membership: filtering by uploader is for reviewers (field staff see only their
own uploads, so it would tell them nothing but who else uploads), and the date taken is a
capture fact (identity class, docs/security.md), so only members with the identity grant may
filter by it. The date taken is read from the sealed metadata (the file's own capture time,
else the time the client reported), so that filter runs over the decrypted rows of at most
TAKEN_SCAN_LIMIT items, newest first, and says when it stopped there.

"Has provenance findings" keeps the items whose latest check of some kind found something for a
person to weigh: a consistency check with at least one finding (docs/provenance.md), a
web-capture check that failed (docs/webcapture.md). Those packages sit above the vault and
name their items through `app.vault.hooks.add_finding_source`. Every member who sees an item
sees whether it has findings (how many, not what they say), so the filter needs no grant.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, false, or_, select

from app.auth.models import User
from app.extensions import db
from app.investigations.viewer import InvestigationViewer
from app.vault.hooks import finding_sources
from app.vault.incident_links import IncidentEvidence
from app.vault.models import EvidenceItem, EvidenceKind

TAKEN_SCAN_LIMIT = 2000
KINDS = tuple(kind.value for kind in EvidenceKind)
_ROW_ID_LENGTH = 36


class FilterRefused(ValueError):
    """A filter value that cannot be used; `problems` maps each parameter to why."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(", ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class EvidenceFilters:
    incident_id: str = ""
    kind: str = ""
    uploaded_by_id: str = ""
    taken_from: date | None = None
    taken_to: date | None = None
    with_findings: bool = False

    @property
    def by_taken_date(self) -> bool:
        return self.taken_from is not None or self.taken_to is not None

    def query(self) -> dict[str, str]:
        values = {
            "incident": self.incident_id,
            "kind": self.kind,
            "uploader": self.uploaded_by_id,
            "taken_from": self.taken_from.isoformat() if self.taken_from else "",
            "taken_to": self.taken_to.isoformat() if self.taken_to else "",
            "findings": "1" if self.with_findings else "",
        }
        return {name: value for name, value in values.items() if value}


def _day(args: Mapping[str, str], name: str, problems: dict[str, str]) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems[name] = "Write dates as YYYY-MM-DD."
        return None


def parse_evidence_filters(args: Mapping[str, str], viewer: InvestigationViewer) -> EvidenceFilters:
    """The filters of a query string; FilterRefused naming each value that cannot be used."""
    problems: dict[str, str] = {}
    incident_id = (args.get("incident") or "").strip()
    if incident_id and len(incident_id) != _ROW_ID_LENGTH:
        problems["incident"] = "Choose an incident of this investigation."
    kind = (args.get("kind") or "").strip()
    if kind and kind not in KINDS:
        problems["kind"] = "Choose photo, video, audio, document or web capture."
    uploader = (args.get("uploader") or "").strip()
    if uploader and not viewer.sees_all:
        problems["uploader"] = "Only lawyers and leads may filter by uploader."
    elif uploader and len(uploader) != _ROW_ID_LENGTH:
        problems["uploader"] = "Choose a member of this investigation."
    taken_from, taken_to = _day(args, "taken_from", problems), _day(args, "taken_to", problems)
    if (taken_from or taken_to) and not viewer.may_see_identities:
        problems["taken_from" if taken_from else "taken_to"] = (
            "The date taken is a capture fact: only members allowed to see identities may "
            "filter by it."
        )
    findings = (args.get("findings") or "").strip()
    if findings not in ("", "0", "1"):
        problems["findings"] = "Tick the box, or leave it empty."
    if problems:
        raise FilterRefused(problems)
    return EvidenceFilters(incident_id, kind, uploader, taken_from, taken_to, findings == "1")


def filtered(stmt: Select, filters: EvidenceFilters) -> Select:
    """`stmt` (over EvidenceItem, already scoped to the viewer) narrowed by the SQL filters."""
    if filters.incident_id:
        stmt = stmt.where(
            EvidenceItem.id.in_(
                select(IncidentEvidence.evidence_id).where(
                    IncidentEvidence.incident_id == filters.incident_id
                )
            )
        )
    if filters.kind:
        stmt = stmt.where(EvidenceItem.kind == filters.kind if filters.kind in KINDS else false())
    if filters.uploaded_by_id:
        stmt = stmt.where(EvidenceItem.uploaded_by_id == filters.uploaded_by_id)
    if filters.with_findings:
        sources = [EvidenceItem.id.in_(source()) for source in finding_sources()]
        stmt = stmt.where(or_(*sources) if sources else false())
    return stmt


def date_taken(item: EvidenceItem) -> date | None:
    """When the file says it was taken, else when the client said; None when neither parses."""
    for text, section in ((item.extracted_metadata, "fields"), (item.client_facts, None)):
        facts = _json(text)
        if section is not None:
            facts = facts.get(section) if isinstance(facts.get(section), dict) else {}
        for name in ("captured_at", "created_at"):
            value = facts.get(name)
            if isinstance(value, str) and len(value) >= 10:
                try:
                    return date.fromisoformat(value[:10].replace(":", "-"))
                except ValueError:
                    continue
    return None


def taken_between(item: EvidenceItem, filters: EvidenceFilters) -> bool:
    taken = date_taken(item)
    if taken is None:
        return False
    if filters.taken_from and taken < filters.taken_from:
        return False
    return not (filters.taken_to and taken > filters.taken_to)


def _json(text: Any) -> dict[str, Any]:
    if not isinstance(text, str) or not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def uploader_choices(viewer: InvestigationViewer) -> list[tuple[str, str]]:
    """(id, email) of the people who uploaded to the investigation: for reviewers only."""
    if not viewer.sees_all:
        return []
    stmt = (
        select(User.id, User.email)
        .join(EvidenceItem, EvidenceItem.uploaded_by_id == User.id)
        .where(EvidenceItem.investigation_id == viewer.investigation.id)
        .distinct()
        .order_by(User.email)
    )
    return [(row.id, row.email) for row in db.session.execute(stmt)]
