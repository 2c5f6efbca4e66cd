"""Incident views: the filtered list, recording a new incident, its page, and correcting it."""

from __future__ import annotations

from uuid import uuid4

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.intake import bp
from app.intake.errors import IntakePermissionError, IntakeValidationError
from app.intake.forms import show_service_errors
from app.intake.forms.incidents import IncidentFilterForm, IncidentForm
from app.intake.routes.page_context import page_number, query_of
from app.intake.services import search
from app.intake.services.incidents import create_incident, update_incident
from app.intake.services.taxonomy import active_targets, active_weapons
from app.intake.visibility import incident_or_404, may_edit_incident
from app.investigations.viewer import InvestigationViewer, viewer_for


def filter_form(viewer: InvestigationViewer) -> IncidentFilterForm:
    form = IncidentFilterForm(request.args)
    form.set_choices(active_weapons(), active_targets())
    form.validate()
    return form


def form_page(viewer: InvestigationViewer, form: IncidentForm, incident=None):
    return render_template(
        "intake/incidents/form.html",
        investigation=viewer.investigation,
        form=form,
        incident=incident,
        known_areas=search.known_areas(viewer),
    ), 400 if form.errors else 200


@bp.route("/incidents")
def incidents(reference: str):
    viewer = viewer_for(reference)
    form = filter_form(viewer)
    page = search.search_incidents(viewer, form.to_filters(), page_number())
    return render_template(
        "intake/incidents/list.html",
        investigation=viewer.investigation,
        filter_form=form,
        query=query_of(form),
        page=page,
        known_areas=search.known_areas(viewer),
        known_perpetrators=search.known_perpetrators(viewer),
    )


@bp.route("/incidents/new", methods=["GET", "POST"])
def new_incident(reference: str):
    viewer = viewer_for(reference)
    form = IncidentForm()
    form.set_choices(active_weapons(), active_targets())
    if not form.is_submitted():
        form.client_id.data = str(uuid4())
    if form.validate_on_submit():
        try:
            incident = create_incident(
                viewer.investigation, current_user, form.to_input(), client_id=form.client_id.data
            )
        except IntakeValidationError as exc:
            db.session.rollback()
            show_service_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Incident recorded."), "success")
            return redirect(
                url_for("intake.incident", reference=reference, incident_id=incident.id)
            )
    return form_page(viewer, form)


@bp.route("/incidents/<incident_id>")
def incident(reference: str, incident_id: str):
    viewer = viewer_for(reference)
    record = incident_or_404(viewer, incident_id)
    return render_template(
        "intake/incidents/detail.html",
        investigation=viewer.investigation,
        incident=record,
        interviews=search.list_interviews(viewer, incident_id=record.id),
        may_edit=may_edit_incident(viewer, record),
    )


@bp.route("/incidents/<incident_id>/edit", methods=["GET", "POST"])
def edit_incident(reference: str, incident_id: str):
    viewer = viewer_for(reference)
    record = incident_or_404(viewer, incident_id)
    if not may_edit_incident(viewer, record):
        abort(403)
    form = IncidentForm()
    # A retired weapon or target stays selectable on the incident that already has it.
    weapons = {w.code: w for w in active_weapons()}
    if record.weapon is not None:
        weapons.setdefault(record.weapon.code, record.weapon)
    targets = {t.code: t for t in active_targets()}
    for target in record.targets:
        targets.setdefault(target.code, target)
    form.set_choices(list(weapons.values()), list(targets.values()))
    if not form.is_submitted():
        form.fill_from(record)
    if form.validate_on_submit():
        try:
            update_incident(record, current_user, form.to_input())
        except IntakePermissionError:
            db.session.rollback()
            abort(403)
        except IntakeValidationError as exc:
            db.session.rollback()
            show_service_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Incident updated."), "success")
            return redirect(url_for("intake.incident", reference=reference, incident_id=record.id))
    return form_page(viewer, form, record)
