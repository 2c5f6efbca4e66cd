"""The home page: what the signed-in person can do next."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.casefiles.services.workflow import awaiting_approval_by
from app.investigations.access import my_investigations
from app.main import bp


@bp.route("/")
def home():
    return render_template(
        "main/home.html",
        investigations=my_investigations(current_user),
        awaiting_approval=awaiting_approval_by(current_user),
    )
