"""Thin view: check an item's C2PA manifest again (a new check; earlier ones stay)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from app.error_responses import error_response
from app.form_submission import commit_or_refuse
from app.investigations.viewer import viewer_for
from app.provenance import bp
from app.provenance.service import recheck
from app.provenance.views import verdict_label
from app.service_errors import ServiceError


@bp.route("/investigations/<reference>/evidence/<evidence_id>/provenance", methods=["POST"])
def provenance_recheck(reference: str, evidence_id: str):
    viewer = viewer_for(reference)
    if not FlaskForm().validate_on_submit():
        return error_response(400, _("The form expired; reload the page and try again."))
    check = commit_or_refuse(lambda: recheck(viewer, evidence_id))
    if isinstance(check, ServiceError):
        return error_response(check.status, check.message)
    flash(_("Checked again: %(verdict)s.", verdict=verdict_label(check.verdict)), "success")
    return redirect(url_for("vault.evidence_item", reference=reference, evidence_id=evidence_id))
