"""Thin views: a reviewer's decision on a suggested near-duplicate."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from app.duplicates import bp
from app.duplicates.decisions import Decision, DecisionConflict, decidable_link, decide
from app.duplicates.forms import DecisionForm
from app.error_responses import error_response
from app.investigations.viewer import viewer_for

LINK = "/investigations/<reference>/evidence/<evidence_id>/duplicates/<duplicate_id>"


@bp.errorhandler(DecisionConflict)
def decision_conflict(exc: DecisionConflict):
    return error_response(409, str(exc))


@bp.route(LINK, methods=["POST"])
def duplicate_decision(reference: str, evidence_id: str, duplicate_id: str):
    viewer = viewer_for(reference)
    link = decidable_link(viewer, evidence_id, duplicate_id)  # 404 / 403 before the form
    form = DecisionForm()
    if not form.validate_on_submit():
        return error_response(400, _("Choose to confirm or to reject the suggestion."))
    link = decide(viewer, link, Decision(form.decision.data))
    flash(_("Recorded: %(status)s.", status=_(link.status)), "success")
    return redirect(url_for("vault.evidence_item", reference=reference, evidence_id=evidence_id))
