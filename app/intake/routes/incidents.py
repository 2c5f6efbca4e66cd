"""Incident views: the filtered list, recording a new incident, its page, and correcting it."""

from __future__ import annotations

from uuid import uuid4

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.drafts.declare import keeps_drafts
from app.form_submission import saved, submit_form, template_page
from app.intake import bp, pages, receipt_lists
from app.intake.forms.incidents import IncidentFilterForm, IncidentForm
from app.intake.models import Incident
from app.intake.receipts import INCIDENT_RECEIPT_LOAD, incident_receipt
from app.intake.routes.page_context import page_number, query_of, receipt_list_page
from app.intake.services import search
from app.intake.services.incidents import create_incident, update_incident
from app.intake.services.similar_incidents import refuse_if_similar
from app.intake.services.taxonomy import active_targets, active_weapons, choices_for
from app.intake.visibility import incident_or_404, may_edit_incident
from app.investigations.viewer import InvestigationViewer, viewer_for
from app.security.org_keys import intake_only

# What a draft of the incident form keeps (app/drafts): all it asks, not its idempotency key.
INCIDENT_DRAFT_FIELDS = (
    "time_certainty",
    "start_date",
    "start_time",
    "end_date",
    "end_time",
    "place_name",
    "admin_area",
    "latitude",
    "longitude",
    "precision_m",
    "perpetrators",
    "weapon_code",
    "target_codes",
    "target_note",
    "killed",
    "injured",
    "casualties_reported_by",
    "description",
)


def filter_form(viewer: InvestigationViewer) -> IncidentFilterForm:
    form = IncidentFilterForm(request.args)
    form.set_choices(active_weapons(), active_targets())
    form.validate()
    return form


def incident_form(incident=None) -> IncidentForm:
    form = IncidentForm()
    form.set_choices(*choices_for(incident))
    if not form.is_submitted():
        if incident is None:
            form.client_id.data = str(uuid4())
        else:
            form.fill_from(incident)
    return form


def form_page(viewer: InvestigationViewer, form: IncidentForm, incident=None, similar=()):
    return template_page(
        "intake/incidents/form.html",
        investigation=viewer.investigation,
        form=form,
        incident=incident,
        known_areas=search.known_areas(viewer),
        similar=similar,
    )


def editable_incident(viewer: InvestigationViewer, incident_id: str):
    """The incident, 404 when the viewer may not see it and 403 when they may not change it."""
    record = incident_or_404(viewer, incident_id)
    if not may_edit_incident(viewer, record):
        abort(403)
    return record


def incident_saved(message: str, reference: str):
    return lambda incident: saved(
        message, "intake.incident", reference=reference, incident_id=incident.id
    )


@bp.route("/incidents")
def incidents(reference: str):
    viewer = viewer_for(reference)
    if intake_only():
        return receipt_list_page(viewer, receipt_lists.incident_receipts(viewer, page_number()))
    form = filter_form(viewer)
    context = pages.incident_list(viewer, form, query_of(form), page_number())
    return render_template("intake/incidents/list.html", **context)


@bp.route("/incidents/new", methods=["GET", "POST"])
@keeps_drafts(*INCIDENT_DRAFT_FIELDS)
def new_incident(reference: str):
    viewer = viewer_for(reference)
    form = incident_form()
    similar: list[Incident] = []  # incidents like it, named before it is saved

    def record():
        data = form.to_input()
        confirmed = bool(form.not_a_duplicate.data)
        refuse_if_similar(viewer, data, confirmed, similar, form.client_id.data)
        return create_incident(
            viewer.investigation, current_user, data, client_id=form.client_id.data
        )

    return submit_form(
        form,
        record,
        done=incident_saved(_("Incident recorded."), reference),
        page=form_page(viewer, form, similar=similar),
    )


@bp.route("/incidents/<incident_id>")
def incident(reference: str, incident_id: str):
    viewer = viewer_for(reference)
    if intake_only():
        return _incident_receipt_page(viewer, incident_id)
    record = incident_or_404(viewer, incident_id)
    return render_template("intake/incidents/detail.html", **pages.incident_detail(viewer, record))


def _incident_receipt_page(viewer, incident_id: str):
    """The receipt, from the columns this node's database role may read back."""
    record = incident_or_404(viewer, incident_id, *INCIDENT_RECEIPT_LOAD)
    return render_template(
        "intake/receipts/incident.html",
        investigation=viewer.investigation,
        receipt=incident_receipt(record),
    )


@bp.route("/incidents/<incident_id>/edit", methods=["GET", "POST"])
@keeps_drafts(*INCIDENT_DRAFT_FIELDS)
def edit_incident(reference: str, incident_id: str):
    viewer = viewer_for(reference)
    record = editable_incident(viewer, incident_id)
    form = incident_form(record)
    return submit_form(
        form,
        lambda: update_incident(record, current_user, form.to_input()),
        done=incident_saved(_("Incident updated."), reference),
        page=form_page(viewer, form, record),
    )
