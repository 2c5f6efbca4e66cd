"""Witness views: list, registration with consent, the witness page, edit, consent changes.

Templates get witness *views* (app/intake/views.py), never the model: what a member without
`may_see_identities` is sent has no identity in it to leak.
"""

from __future__ import annotations

from uuid import uuid4

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import undefer_group

from app.auth.models import User
from app.extensions import db
from app.intake import bp
from app.intake.errors import IntakePermissionError, IntakeValidationError
from app.intake.forms import show_service_errors
from app.intake.forms.witnesses import ConsentForm, WitnessEditForm, WitnessForm
from app.intake.models.witnesses import IDENTITY_GROUP
from app.intake.routes.page_context import COMMON_LANGUAGES, page_number
from app.intake.services import search
from app.intake.services.consent import record_consent, withdraw_consent
from app.intake.services.witnesses import (
    identity_recorded,
    register_witness,
    update_witness,
)
from app.intake.views import witness_view
from app.intake.visibility import may_edit_witness, may_record_consent, witness_or_404
from app.investigations.models import Membership
from app.investigations.viewer import InvestigationViewer, viewer_for


def load_witness(viewer: InvestigationViewer, witness_id: str):
    # Identity columns are decrypted only for a viewer who may see them.
    options = [undefer_group(IDENTITY_GROUP)] if viewer.may_see_identities else []
    return witness_or_404(viewer, witness_id, *options)


def member_choices(viewer: InvestigationViewer) -> list[tuple[str, str]]:
    members = db.session.execute(
        select(User.id, User.name, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.investigation_id == viewer.investigation.id)
        .order_by(User.name)
    )
    return [(user_id, f"{name} ({email})") for user_id, name, email in members]


@bp.route("/witnesses")
def witnesses(reference: str):
    viewer = viewer_for(reference)
    q = request.args.get("q", "")[:40]
    risk = request.args.get("risk", "")[:16]
    return render_template(
        "intake/witnesses/list.html",
        investigation=viewer.investigation,
        page=search.list_witnesses(viewer, q=q, risk_level=risk, page=page_number()),
        q=q,
        risk=risk,
        query={name: value for name, value in (("q", q), ("risk", risk)) if value},
        identities_visible=viewer.may_see_identities,
    )


@bp.route("/witnesses/new", methods=["GET", "POST"])
def new_witness(reference: str):
    viewer = viewer_for(reference)
    form = WitnessForm()
    if not form.is_submitted():
        form.client_id.data = str(uuid4())
    if form.validate_on_submit():
        try:
            witness = register_witness(
                viewer.investigation,
                current_user,
                form.witness_input(),
                form.consent_input(),
                client_id=form.client_id.data,
            )
        except IntakeValidationError as exc:
            db.session.rollback()
            show_service_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Witness %(code)s registered.", code=witness.code), "success")
            return redirect(url_for("intake.witness", reference=reference, witness_id=witness.id))
    return render_template(
        "intake/witnesses/new.html",
        investigation=viewer.investigation,
        form=form,
        languages=COMMON_LANGUAGES,
    ), 400 if form.errors else 200


@bp.route("/witnesses/<witness_id>")
def witness(reference: str, witness_id: str):
    viewer = viewer_for(reference)
    record = load_witness(viewer, witness_id)
    return render_template(
        "intake/witnesses/detail.html",
        investigation=viewer.investigation,
        witness=witness_view(record, viewer.membership),
        interviews=search.list_interviews(viewer, witness_id=record.id),
        may_edit=may_edit_witness(viewer, record),
        may_record_consent=may_record_consent(viewer, record),
    )


@bp.route("/witnesses/<witness_id>/edit", methods=["GET", "POST"])
def edit_witness(reference: str, witness_id: str):
    viewer = viewer_for(reference)
    record = load_witness(viewer, witness_id)
    if not may_edit_witness(viewer, record):
        abort(403)
    form = WitnessEditForm()
    if not form.is_submitted():
        form.risk_level.data = record.risk_level
        if viewer.may_see_identities:
            view = witness_view(record, viewer.membership)
            for name, value in view["identity"].items():
                getattr(form, name).data = value
    if form.validate_on_submit():
        try:
            update_witness(
                record,
                current_user,
                form.risk_level.data or "",
                form.identity_changes(viewer.may_see_identities),
            )
        except IntakePermissionError:
            db.session.rollback()
            abort(403)
        except IntakeValidationError as exc:
            db.session.rollback()
            show_service_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Witness updated."), "success")
            return redirect(url_for("intake.witness", reference=reference, witness_id=witness_id))
    return render_template(
        "intake/witnesses/edit.html",
        investigation=viewer.investigation,
        witness=witness_view(record, viewer.membership),
        form=form,
        identities_visible=viewer.may_see_identities,
        recorded=identity_recorded(record),
    ), 400 if form.errors else 200


@bp.route("/witnesses/<witness_id>/consent", methods=["GET", "POST"])
def witness_consent(reference: str, witness_id: str):
    viewer = viewer_for(reference)
    record = load_witness(viewer, witness_id)
    if not may_record_consent(viewer, record):
        abort(403)
    view = witness_view(record, viewer.membership)
    form = ConsentForm()
    form.consent_obtained_by_id.choices = member_choices(viewer)
    if not form.is_submitted():
        form.consent_obtained_by_id.data = current_user.id
        current = view["consent"]
        if current:
            for purpose, allowed in current["purposes"].items():
                getattr(form, f"consent_{purpose}").data = allowed
            form.consent_language.data = current["language"]
    if form.validate_on_submit():
        try:
            if form.withdraw_all.data:
                withdraw_consent(
                    record,
                    current_user,
                    form.consent_language.data or "",
                    form.consent_obtained_on.data,
                )
            else:
                record_consent(
                    record, current_user, form.consent_input(form.consent_obtained_by_id.data)
                )
        except IntakePermissionError:
            db.session.rollback()
            abort(403)
        except IntakeValidationError as exc:
            db.session.rollback()
            show_service_errors(form, exc, prefix="consent_")
        else:
            db.session.commit()
            flash(_("Consent recorded."), "success")
            return redirect(url_for("intake.witness", reference=reference, witness_id=witness_id))
    return render_template(
        "intake/witnesses/consent.html",
        investigation=viewer.investigation,
        witness=view,
        form=form,
        languages=COMMON_LANGUAGES,
    ), 400 if form.errors else 200
