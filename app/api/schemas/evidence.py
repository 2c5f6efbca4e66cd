"""Evidence items as API clients see them: what the vault's list page shows, as JSON.

No client facts, extracted metadata or content: those are read through the vault's item page,
which records the read in the custody ledger. The file name is identity information: the caller
passes the name the viewer may read (`app.vault.reading.evidence.shown_name`).
"""

from __future__ import annotations

from typing import Any

from app.api.schemas.output import person
from app.consistency.views import check_views
from app.duplicates.views import fingerprint_json, fingerprint_of, links_of
from app.investigations.viewer import InvestigationViewer
from app.provenance.views import provenance_views
from app.vault.incident_links import ItemIncidentLink, item_incident_links
from app.vault.models import EvidenceItem
from app.vault.reading.evidence import shown_name
from app.webcapture.views import capture_checks_json


def link_json(link: ItemIncidentLink) -> dict[str, Any]:
    return {
        "incident_id": link.incident_id,
        "incident": link.incident_label,
        "shows": link.shows,
        "note": link.note or "",
        "linked_at": link.linked_at,
    }


def incident_links_json(viewer: InvestigationViewer, item: EvidenceItem) -> dict[str, Any]:
    """An item's incident links (the answer of linking and unlinking)."""
    return {
        "evidence_id": item.id,
        "incidents": [link_json(link) for link in item_incident_links(viewer, item)],
    }


def evidence_json(
    item: EvidenceItem, filename: str, links: list[ItemIncidentLink] | None = None
) -> dict[str, Any]:
    """filename: the name the viewer may read, or as just received (an upload's answer);
    links: the incidents it is tied to (an upload's answer: those it was just given)."""
    return {
        "id": item.id,
        "kind": item.kind,
        "media_type": item.media_type,
        "size": int(item.size),
        "sha256": item.sha256,
        "original_filename": filename,
        "received_at": item.received_at,
        "uploaded_by": person(item.uploaded_by),
        "derivatives": [
            {"id": d.id, "kind": d.kind, "media_type": d.media_type, "size": int(d.size)}
            for d in item.derivatives
        ],
        "incidents": [link_json(link) for link in links or []],
    }


def evidence_record_json(viewer: InvestigationViewer, item: EvidenceItem) -> dict[str, Any]:
    """One item's record: as in the list, plus its duplicates the viewer may see (never a
    hint of one they may not), its near-duplicate search and its consistency checks (the
    findings themselves only with the identity grant, like the capture facts) and its web-capture
    checks (verdict and failure, not the captured URLs) and its C2PA checks (verdict and codes;
    the signer and claims only with the identity grant)."""
    out = evidence_json(item, shown_name(viewer, item), item_incident_links(viewer, item))
    out["duplicates"] = [view.as_json() for view in links_of(viewer, item)]
    out["near_duplicate_search"] = fingerprint_json(fingerprint_of(item))
    out["consistency_checks"] = [view.as_json() for view in check_views(viewer, item)]
    out["web_capture_checks"] = capture_checks_json(item)
    out["provenance_checks"] = [view.as_json() for view in provenance_views(viewer, item)]
    return out
