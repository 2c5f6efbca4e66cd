"""Admin view of the fixity sweeps: the last one, its failures, and the ones before."""

from __future__ import annotations

from flask import render_template

from app.admin import bp
from app.auth.roles import role_required
from app.custody.fixity import last_sweeps


@bp.route("/fixity")
@role_required("admin")
def fixity():
    sweeps = last_sweeps(limit=10)
    return render_template(
        "admin/fixity.html", last=sweeps[0] if sweeps else None, earlier=sweeps[1:]
    )
