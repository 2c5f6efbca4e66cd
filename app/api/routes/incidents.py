"""Incidents of an investigation: the filtered list (the web list's filters), create, get."""

from __future__ import annotations

from datetime import date

from flask import request, url_for
from flask_login import current_user

from app.api import bp
from app.api.errors import ApiError
from app.api.pagination import page_request, paginated
from app.api.routes.receipts import receipt_page
from app.api.routes.responses import created, ok
from app.api.schemas.fields import json_body, safe_query_text
from app.api.schemas.incidents import incident_input, incident_json
from app.extensions import db
from app.intake import receipt_lists
from app.intake.services import search
from app.intake.services.incidents import create_incident
from app.intake.visibility import incident_or_404
from app.investigations.viewer import viewer_for
from app.security.org_keys import intake_only

BOOLEAN_VALUES = {"true": True, "false": False}


def incident_filters() -> tuple[search.IncidentFilters, dict[str, str]]:
    """The web list's filters from the query string, and the values to repeat in `next`."""
    problems: dict[str, list[dict[str, str]]] = {}

    def day(name: str) -> date | None:
        raw = request.args.get(name, "")
        if not raw:
            return None
        if len(raw) == 10:
            try:
                parsed = date.fromisoformat(raw)
            except ValueError:
                parsed = None
            # The last day of year 9999 has no next day to end a date range at.
            if parsed is not None and parsed < date.max:
                return parsed
        problems[name] = [{"code": "invalid_date", "message": "Write dates as YYYY-MM-DD."}]
        return None

    def flag(name: str) -> bool | None:
        raw = request.args.get(name, "")
        if raw and raw not in BOOLEAN_VALUES:
            problems[name] = [{"code": "invalid_choice", "message": "Use true or false."}]
        return BOOLEAN_VALUES.get(raw)

    filters = search.IncidentFilters(
        q=safe_query_text("q", 200),
        date_from=day("date_from"),
        date_to=day("date_to"),
        area=safe_query_text("area", 120),
        weapon=safe_query_text("weapon", 40),
        target=safe_query_text("target", 40),
        perpetrator=safe_query_text("perpetrator", 200),
        has_video=flag("has_video"),
        has_photo=flag("has_photo"),
        has_testimony=flag("has_testimony"),
    )
    if problems:
        raise ApiError(400, "invalid_query", "Some query parameters are not valid.", problems)
    names = (
        "q", "date_from", "date_to", "area", "weapon", "target", "perpetrator", "has_video",
        "has_photo", "has_testimony",
    )  # fmt: skip
    return filters, {name: request.args[name] for name in names if request.args.get(name)}


@bp.get("/investigations/<reference>/incidents")
def incidents(reference: str):
    viewer = viewer_for(reference)
    filters, query = incident_filters()
    wanted = page_request()
    if intake_only():
        return ok(receipt_page(receipt_lists.incident_receipts(viewer, wanted.page)))
    page = search.search_incidents(viewer, filters, wanted.page, wanted.per_page, texts=True)
    items = [
        incident_json(r.incident, r.testimony_count, r.has_video, r.has_photo) for r in page.items
    ]
    return ok(paginated(items, page.total, wanted, query))


@bp.post("/investigations/<reference>/incidents")
def new_incident(reference: str):
    viewer = viewer_for(reference)
    data, client_id = incident_input(json_body())
    record = create_incident(viewer.investigation, current_user, data, client_id=client_id)
    db.session.commit()
    location = url_for("api.incident", reference=reference, incident_id=record.id)
    return created(incident_json(record), location)


@bp.get("/investigations/<reference>/incidents/<incident_id>")
def incident(reference: str, incident_id: str):
    viewer = viewer_for(reference)
    return ok(incident_json(incident_or_404(viewer, incident_id)))
