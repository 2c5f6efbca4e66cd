"""POST /drafts: keep what the signed-in person typed into a form (static/js/drafts.js).

JSON in ({"action": "<the form's action path>", "fields": {...}}), JSON out. The body never
reaches a URL or a log line. A draft is only ever the sender's own: it cannot be read here,
and it never writes into a record (the person saves the form, through its own checks).
"""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import HTTPException

from app.drafts import bp
from app.drafts.forms import form_of_action
from app.drafts.services import DraftRefused, keep_draft
from app.form_submission import committed


def refusal(status: int, code: str, message: str):
    return jsonify(error={"code": code, "message": message}), status


@bp.route("/drafts", methods=["POST"])
def keep():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("action"), str):
        return refusal(400, "bad_request", _("A draft names its form and its fields."))
    form = form_of_action(body["action"])
    if form is None:
        return refusal(400, "not_draftable", _("This form does not keep drafts."))
    try:
        kept = committed(lambda: keep_draft(current_user, form, body.get("fields")))
    except DraftRefused as exc:
        return refusal(exc.status, exc.code, exc.message)
    # The session's current CSRF token: the form it came from stays sendable however long the
    # person types (the page's token may predate a sign-in made in another tab).
    return jsonify(
        kept_at=kept.kept_at.isoformat() + "Z",
        message=_("Draft kept at %(time)s (UTC)", time=format_time(kept.kept_at, "short")),
        csrf_token=generate_csrf(),
    )


@bp.errorhandler(CSRFError)
def csrf_refused(exc: CSRFError):
    # CSRF is checked before the sign-in gate: a page whose session is gone learns that first.
    if not current_user.is_authenticated:
        return refusal(401, "unauthorized", _("Sign in first."))
    return refusal(
        400,
        "csrf_failed",
        _("Not kept: this page is out of date. Save the form: it comes back with your text."),
    )


@bp.errorhandler(HTTPException)
def http_refused(exc: HTTPException):
    return refusal(exc.code or 400, "error", exc.description or "")
