"""The incident map (Leaflet, vendored; markers from a JSON endpoint) and the timeline."""

from __future__ import annotations

from flask import current_app, jsonify, render_template, url_for
from flask_babel import gettext as _

from app.intake import bp, pages, receipt_lists
from app.intake.routes.incidents import filter_form
from app.intake.routes.page_context import page_number, query_of, receipt_list_page
from app.intake.services import search
from app.investigations.viewer import viewer_for
from app.security.org_keys import intake_only


def places_sealed_here(viewer):
    """On an intake-only node the map and the timeline, which need places, list receipts."""
    note = _(
        "The map and the timeline need the places of incidents, which are sealed to a key "
        "this node does not hold: they are shown on the reading node."
    )
    listing = receipt_lists.incident_receipts(viewer, page_number())
    return receipt_list_page(viewer, listing, note)


@bp.route("/incidents/map")
def incident_map(reference: str):
    viewer = viewer_for(reference)
    if intake_only():
        return places_sealed_here(viewer)
    form = filter_form(viewer)
    context = pages.incident_map(viewer, form, query_of(form), current_app.config)
    return render_template("intake/incidents/map.html", **context)


@bp.route("/incidents/map.json")
def incident_map_data(reference: str):
    viewer = viewer_for(reference)
    form = filter_form(viewer)
    markers = search.incident_markers(viewer, form.to_filters())
    for marker in markers:
        marker["url"] = url_for("intake.incident", reference=reference, incident_id=marker["id"])
    return jsonify(markers=markers)


@bp.route("/incidents/timeline")
def incident_timeline(reference: str):
    viewer = viewer_for(reference)
    if intake_only():
        return places_sealed_here(viewer)
    context = pages.incident_timeline(viewer, filter_form(viewer))
    return render_template("intake/incidents/timeline.html", **context)
