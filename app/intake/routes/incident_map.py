"""The incident map (Leaflet, vendored; markers from a JSON endpoint) and the timeline."""

from __future__ import annotations

from flask import current_app, jsonify, render_template, url_for

from app.intake import bp, pages
from app.intake.routes.incidents import filter_form
from app.intake.routes.page_context import query_of
from app.intake.services import search
from app.investigations.viewer import viewer_for


@bp.route("/incidents/map")
def incident_map(reference: str):
    viewer = viewer_for(reference)
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
    context = pages.incident_timeline(viewer, filter_form(viewer))
    return render_template("intake/incidents/timeline.html", **context)
