"""Thin views: a member's list of investigations and one investigation's overview."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.investigations import bp
from app.investigations.access import my_investigations
from app.investigations.viewer import viewer_for


@bp.route("/")
def index():
    return render_template(
        "investigations/index.html", investigations=my_investigations(current_user)
    )


@bp.route("/<reference>")
def overview(reference: str):
    viewer = viewer_for(reference)
    return render_template(
        "investigations/overview.html",
        investigation=viewer.investigation,
        membership=viewer.membership,
        sees_full_ledger=viewer.sees_full_ledger,
    )
