"""Who the token speaks for, the investigations they are a member of, and the taxonomies."""

from __future__ import annotations

from flask import g
from flask_login import current_user

from app.api import bp
from app.api.pagination import page_request, paginated
from app.api.routes.responses import ok
from app.api.schemas.investigations import investigation_json, taxonomy_json
from app.intake.services.taxonomy import active_targets, active_weapons
from app.investigations.access import membership_for, my_investigations
from app.investigations.viewer import viewer_for


@bp.get("/me")
def me():
    token = g.api_token
    user = {
        "id": current_user.id,
        "name": current_user.name,
        "email": current_user.email,
        "role": current_user.role,
        "language": current_user.language,
    }
    token_view = {
        "id": token.id,
        "name": token.name,
        "scope": token.scope,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
    }
    return ok({"user": user, "token": token_view})


@bp.get("/investigations")
def investigations():
    wanted = page_request()
    mine = my_investigations(current_user)
    rows = mine[wanted.offset : wanted.offset + wanted.per_page]
    items = [investigation_json(i, membership_for(i, current_user)) for i in rows]
    return ok(paginated(items, len(mine), wanted))


@bp.get("/investigations/<reference>")
def investigation(reference: str):
    viewer = viewer_for(reference)
    return ok(investigation_json(viewer.investigation, viewer.membership))


@bp.get("/taxonomies")
def taxonomies():
    """The weapon and target codes an incident may use (offline clients build forms from it)."""
    return ok(
        {"weapons": taxonomy_json(active_weapons()), "targets": taxonomy_json(active_targets())}
    )
