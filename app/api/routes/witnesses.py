"""Witnesses: the list (field staff: their own), registration with consent, one witness, and
withdrawal of consent. Who sees whom and which fields is app/intake's rule, applied as is.

An identity is read one witness at a time with a stated reason, as on the website: GET of one
witness carries it only for a member with the grant who states why in X-Access-Reason, and
that read is recorded on the access log; without a reason the answer is the pseudonymous view.
"""

from __future__ import annotations

from flask import url_for
from flask_login import current_user
from sqlalchemy.orm import undefer_group

from app.api import bp
from app.api.pagination import page_request, paginated, window
from app.api.routes.reasons import api_reason
from app.api.routes.receipts import receipt_page
from app.api.routes.responses import created, ok
from app.api.schemas.fields import json_body, safe_query_text
from app.api.schemas.witnesses import api_field_name, withdrawal_input, witness_input
from app.extensions import db
from app.intake import receipt_lists
from app.intake.errors import FieldError, IntakePermissionError, IntakeValidationError
from app.intake.models import Witness
from app.intake.models.witnesses import IDENTITY_GROUP
from app.intake.services import search, testimony_lists
from app.intake.services.consent import withdraw_consent
from app.intake.services.reads import record_identity_read
from app.intake.services.witnesses import register_witness
from app.intake.views import witness_view
from app.intake.visibility import may_record_consent, may_reveal_identity, witness_or_404
from app.investigations.viewer import InvestigationViewer, viewer_for
from app.security.org_keys import intake_only


def load_witness(viewer: InvestigationViewer, witness_id: str) -> Witness:
    # Identity columns are decrypted only for a viewer who may see them.
    options = [undefer_group(IDENTITY_GROUP)] if viewer.may_see_identities else []
    return witness_or_404(viewer, witness_id, *options)


@bp.get("/investigations/<reference>/witnesses")
def witnesses(reference: str):
    viewer = viewer_for(reference)
    q = safe_query_text("q", 40)
    risk_level = safe_query_text("risk_level", 16)
    wanted = page_request()
    if intake_only():
        return ok(receipt_page(receipt_lists.witness_receipts(viewer, wanted.page)))

    def fetch(number: int):
        page = testimony_lists.list_witnesses(viewer, q=q, risk_level=risk_level, page=number)
        return page.items, page.total

    items, total = window(fetch, search.PER_PAGE, wanted)
    query = {name: value for name, value in (("q", q), ("risk_level", risk_level)) if value}
    return ok(paginated(items, total, wanted, query))


@bp.post("/investigations/<reference>/witnesses")
def new_witness(reference: str):
    viewer = viewer_for(reference)
    data, consent, client_id = witness_input(json_body())
    try:
        record = register_witness(
            viewer.investigation, current_user, data, consent, client_id=client_id
        )
    except IntakeValidationError as exc:
        # Named as the client sent them: consent.language, identity.date_of_birth, ...
        raise IntakeValidationError(
            [FieldError(api_field_name(e.field), e.code) for e in exc.errors]
        ) from None
    db.session.commit()
    location = url_for("api.witness", reference=reference, witness_id=record.id)
    return created(witness_view(load_witness(viewer, record.id), viewer.membership), location)


@bp.get("/investigations/<reference>/witnesses/<witness_id>")
def witness(reference: str, witness_id: str):
    viewer = viewer_for(reference)
    reason = api_reason()
    record = load_witness(viewer, witness_id)
    if reason is None or not may_reveal_identity(viewer, record):
        return ok(witness_view(record, None))
    record_identity_read(viewer, record, reason, channel="api")
    return ok(witness_view(record, viewer.membership))


@bp.post("/investigations/<reference>/witnesses/<witness_id>/consent/withdraw")
def withdraw_witness_consent(reference: str, witness_id: str):
    """Withdraw every consent at once: a new consent record; nothing is deleted."""
    viewer = viewer_for(reference)
    record = load_witness(viewer, witness_id)
    if not may_record_consent(viewer, record):
        raise IntakePermissionError("you may not record consent for this witness")
    language, obtained_on = withdrawal_input(json_body(optional=True))
    withdraw_consent(record, current_user, language, obtained_on)
    db.session.commit()
    return ok(witness_view(load_witness(viewer, witness_id), None))
