"""A case-file refusal no form shows (a photo preview, a download) answers with the error page."""

from __future__ import annotations

from flask import render_template

from app.casefiles import bp
from app.casefiles.services.errors import CaseFileError
from app.extensions import db


@bp.errorhandler(CaseFileError)
def refused(exc: CaseFileError):
    db.session.rollback()
    return render_template("errors/error.html", code=exc.status, message=exc.message), exc.status
