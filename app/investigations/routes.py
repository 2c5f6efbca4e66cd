"""Thin views: a member's list of investigations and one investigation's overview."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.investigations import bp
from app.investigations.access import (
    investigation_by_reference_or_404,
    membership_for,
    my_investigations,
)


@bp.route("/")
def index():
    return render_template(
        "investigations/index.html", investigations=my_investigations(current_user)
    )


@bp.route("/<reference>")
def overview(reference: str):
    investigation = investigation_by_reference_or_404(reference, current_user)
    return render_template(
        "investigations/overview.html",
        investigation=investigation,
        membership=membership_for(investigation, current_user),
    )
