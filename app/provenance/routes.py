"""Thin views: check an item's capture proof again (a new check; earlier ones stay), pin a
ProofMode bundle's key for its sender, pin or unpin a WACZ signing key for the investigation."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from app.error_responses import error_response
from app.form_submission import commit_or_refuse
from app.investigations.viewer import viewer_for
from app.provenance import bp
from app.provenance.pinning import pin_key
from app.provenance.services import recheck
from app.provenance.views import verdict_label
from app.provenance.wacz_keys import pin_wacz_key, unpin_wacz_key
from app.service_errors import ServiceError


@bp.route("/investigations/<reference>/evidence/<evidence_id>/provenance", methods=["POST"])
def provenance_recheck(reference: str, evidence_id: str):
    viewer = viewer_for(reference)
    if not FlaskForm().validate_on_submit():
        return error_response(400, _("The form expired; reload the page and try again."))
    check = commit_or_refuse(lambda: recheck(viewer, evidence_id))
    if isinstance(check, ServiceError):
        return error_response(check.status, check.message)
    label = verdict_label(check.verdict, check.kind)
    flash(_("Checked again: %(verdict)s.", verdict=label), "success")
    return redirect(url_for("vault.evidence_item", reference=reference, evidence_id=evidence_id))


@bp.route("/investigations/<reference>/evidence/<evidence_id>/proofmode-key", methods=["POST"])
def proofmode_key_pin(reference: str, evidence_id: str):
    viewer = viewer_for(reference)
    if not FlaskForm().validate_on_submit():
        return error_response(400, _("The form expired; reload the page and try again."))
    key = commit_or_refuse(lambda: pin_key(viewer, evidence_id))
    if isinstance(key, ServiceError):
        return error_response(key.status, key.message)
    flash(_("Key %(fingerprint)s pinned for its sender.", fingerprint=key.fingerprint), "success")
    return redirect(url_for("vault.evidence_item", reference=reference, evidence_id=evidence_id))


@bp.route("/investigations/<reference>/evidence/<evidence_id>/wacz-key", methods=["POST"])
def wacz_key_pin(reference: str, evidence_id: str):
    viewer = viewer_for(reference)
    if not FlaskForm().validate_on_submit():
        return error_response(400, _("The form expired; reload the page and try again."))
    key = commit_or_refuse(lambda: pin_wacz_key(viewer, evidence_id))
    if isinstance(key, ServiceError):
        return error_response(key.status, key.message)
    flash(
        _("Key %(fingerprint)s pinned for this investigation.", fingerprint=key.fingerprint),
        "success",
    )
    return redirect(url_for("vault.evidence_item", reference=reference, evidence_id=evidence_id))


@bp.route("/investigations/<reference>/evidence/<evidence_id>/wacz-key/unpin", methods=["POST"])
def wacz_key_unpin(reference: str, evidence_id: str):
    viewer = viewer_for(reference)
    if not FlaskForm().validate_on_submit():
        return error_response(400, _("The form expired; reload the page and try again."))
    fingerprint = commit_or_refuse(lambda: unpin_wacz_key(viewer, evidence_id))
    if isinstance(fingerprint, ServiceError):
        return error_response(fingerprint.status, fingerprint.message)
    flash(_("Key %(fingerprint)s unpinned.", fingerprint=fingerprint), "success")
    return redirect(url_for("vault.evidence_item", reference=reference, evidence_id=evidence_id))
