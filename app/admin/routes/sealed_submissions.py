"""Admin view of the phone submissions intake nodes kept sealed: waiting, opened, refused."""

from __future__ import annotations

from flask import render_template

from app.admin import bp
from app.auth.roles import role_required
from app.openrosa.sealed_opening import sealed_overview


@bp.route("/sealed-submissions")
@role_required("admin")
def sealed_submissions():
    return render_template("admin/sealed_submissions.html", overview=sealed_overview())
