"""What every case-file view starts with: the investigation and case file, scoped, or 404."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from app.casefiles.models import CaseFile
from app.casefiles.services.casefiles import case_item_for, casefile_for
from app.investigations.models import Investigation
from app.investigations.viewer import viewer_for


def load_case(reference: str, case_ref: str) -> tuple[Investigation, CaseFile]:
    investigation = viewer_for(reference).investigation
    casefile = casefile_for(investigation, case_ref, current_user)
    if casefile is None:
        abort(404)
    return investigation, casefile


def load_case_item(reference: str, case_ref: str, item_id: str):
    investigation, casefile = load_case(reference, case_ref)
    case_item = case_item_for(casefile, item_id)
    if case_item is None:
        abort(404)
    return investigation, casefile, case_item
