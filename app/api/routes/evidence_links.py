"""Evidence tied to incidents through the API: link an item to an incident, and unlink it.

The item must be one the caller may see (field staff: their own uploads; 404 otherwise, as for
one that does not exist); the incident one of the same investigation. Refused input answers
422 `validation_failed` naming each field (unknown incident, unknown `shows`, a missing note
for `other`), and nothing is stored. Each change is a custody entry on the item.
"""

from __future__ import annotations

from flask import url_for

from app.api import bp
from app.api.routes.responses import created, ok
from app.api.schemas.evidence import incident_links_json
from app.api.schemas.fields import Field, json_body, read_fields
from app.extensions import db
from app.intake.services.evidence_links import checked_link, link_to_incident, unlink_from_incident
from app.investigations.viewer import viewer_for
from app.vault.reading.evidence import evidence_in, require_reads

LINK_FIELDS = {
    "incident_id": Field("code", required=True),
    "shows": Field("code", required=True),
    "note": Field("text"),
}
LINKS = "/investigations/<reference>/evidence/<evidence_id>/incidents"


@bp.post(LINKS)
def link_evidence_incident(reference: str, evidence_id: str):
    viewer = viewer_for(reference)
    require_reads()
    item = evidence_in(viewer, evidence_id)
    values = read_fields(json_body(), LINK_FIELDS)
    link = checked_link(viewer, values["incident_id"], values["shows"], values.get("note"))
    link_to_incident(viewer, item, link)
    db.session.commit()
    location = url_for("api.evidence_item", reference=reference, evidence_id=item.id)
    return created(incident_links_json(viewer, item), location)


@bp.delete(f"{LINKS}/<incident_id>")
def unlink_evidence_incident(reference: str, evidence_id: str, incident_id: str):
    viewer = viewer_for(reference)
    require_reads()
    item = evidence_in(viewer, evidence_id)
    unlink_from_incident(viewer, item, incident_id)
    db.session.commit()
    return ok(incident_links_json(viewer, item))
