"""Thin view: check an item's consistency again (a new check; earlier ones stay)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from app.consistency import bp
from app.consistency.services import recheck
from app.error_responses import error_response
from app.investigations.viewer import viewer_for


@bp.route("/investigations/<reference>/evidence/<evidence_id>/consistency", methods=["POST"])
def consistency_recheck(reference: str, evidence_id: str):
    viewer = viewer_for(reference)
    if not FlaskForm().validate_on_submit():
        return error_response(400, _("The form expired; reload the page and try again."))
    check = recheck(viewer, evidence_id)
    flash(_("Checked again: %(count)s findings to weigh.", count=check.findings), "success")
    return redirect(url_for("vault.evidence_item", reference=reference, evidence_id=evidence_id))
