"""View: the elements x evidence matrix of a case file, with its gaps highlighted."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.auth.roles import role_required
from app.casefiles import bp
from app.casefiles.routes.context import load_case
from app.casefiles.services.items import destroyed_summaries, summaries_for
from app.casefiles.services.matrix import build_matrix


@bp.route("/<case_ref>/matrix")
@role_required("lawyer")
def matrix(reference: str, case_ref: str):
    investigation, casefile = load_case(reference, case_ref)
    summaries = summaries_for(investigation, current_user, casefile.items)
    summaries |= destroyed_summaries(investigation, current_user, casefile.items)
    return render_template(
        "casefiles/matrix.html",
        investigation=investigation,
        casefile=casefile,
        matrix=build_matrix(casefile, summaries),
    )
