"""An evidence item's acquisition record (Berkeley Protocol) through the API: read it, or
replace it whole, by the page's rules (app/acquisition/services.py).

Whoever may see the item may read and record it; `acquired_from` is read and written only
with the identity grant (sent without it: 403). Once an approved case file holds the item the
record is what was approved: 409 `acquisition_locked`. A value refused answers 422
`validation_failed` naming its field, and nothing is stored. Each change is an
`acquisition_recorded` custody entry; each read is on the access log, as the item's is.
"""

from __future__ import annotations

from app.acquisition.services import (
    FIELDS,
    IDENTITY_FIELDS,
    AcquisitionRefused,
    export_record,
    record_acquisition,
)
from app.api import bp
from app.api.errors import validation_failed
from app.api.routes.reasons import api_reason
from app.api.routes.responses import ok
from app.api.schemas.fields import Field, json_body, read_fields
from app.extensions import db
from app.investigations.viewer import viewer_for
from app.security.refusals import refuse
from app.vault.reading.evidence import evidence_in, record_evidence_read, require_reads

ACQUISITION = "/investigations/<reference>/evidence/<evidence_id>/acquisition"
ACQUISITION_FIELDS = {name: Field("text") for name in FIELDS}  # times as ISO 8601 text


@bp.get(ACQUISITION)
def evidence_acquisition(reference: str, evidence_id: str):
    viewer = viewer_for(reference)
    require_reads()
    reason = api_reason()
    item = evidence_in(viewer, evidence_id)
    record_evidence_read(viewer, item, reason=reason, channel="api")
    db.session.commit()
    return ok(export_record(item, viewer.may_see_identities))


@bp.put(ACQUISITION)
def record_evidence_acquisition(reference: str, evidence_id: str):
    """The whole record: a field left out is recorded as not known."""
    viewer = viewer_for(reference)
    require_reads()
    item = evidence_in(viewer, evidence_id)
    values = read_fields(json_body(), ACQUISITION_FIELDS)
    if not viewer.may_see_identities and any(values.get(n) for n in IDENTITY_FIELDS):
        refuse(403, "no_identity_grant")
    try:
        record_acquisition(viewer, item, values)
    except AcquisitionRefused as refused:
        problem = [{"code": "invalid_value", "message": refused.message}]
        raise validation_failed({refused.field or "record": problem}) from None
    db.session.commit()
    return ok(export_record(item, viewer.may_see_identities))
