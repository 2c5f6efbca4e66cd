"""A form refused for its CSRF token comes back with what was typed, instead of a bare 400.

The token goes stale when the session behind the page changed (signed out and in again in
another tab). The refused POST's declared draft fields are kept as the person's draft and
they are sent back to the form's page, where static/js/drafts.js puts the text back, with a
message saying nothing was saved. Only for a POST that came from this site (its Origin) by a
person whose session is live: a forged cross-site POST could otherwise overwrite someone's
draft with the attacker's text; it gets the plain error page.
"""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, request, session
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from app.auth import session_registry
from app.drafts.forms import DraftForm, form_of_request
from app.drafts.services import DraftRefused, keep_draft
from app.extensions import db


def from_this_site() -> bool:
    origin = request.headers.get("Origin")
    if origin:
        return origin.rstrip("/") == request.host_url.rstrip("/")
    return request.headers.get("Sec-Fetch-Site") == "same-origin"


def session_is_live() -> bool:
    """The checks of app/auth/gate.py, which have not run: CSRF is checked before them."""
    if not current_user.is_authenticated:
        return False
    last_seen = session.get("last_seen")
    limit = current_app.config["IDLE_TIMEOUT_MINUTES"] * 60
    if last_seen is None or time.time() - int(last_seen) > limit:
        return False
    check = session_registry.check(session.get("sid"), current_user)
    return check.problem is None


def page_of(form: DraftForm) -> str | None:
    """The page showing the form: its own path when it answers GET, else the page one level
    up (a form posting to …/items/<id>/assessments is on …/items/<id>)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for path in (form.path, form.path.rsplit("/", 1)[0]):
        try:
            adapter.match(path, method="GET")
        except HTTPException:
            continue
        return path
    return None


def posted_fields(form: DraftForm) -> dict[str, str | list[str]]:
    fields: dict[str, str | list[str]] = {}
    for name in form.fields:
        values = request.form.getlist(name)
        if values:
            fields[name] = values[0] if len(values) == 1 else values
    return fields


def recover_refused_form():
    """The redirect back to the form with its text kept, or None (the caller shows the error)."""
    if request.method != "POST" or not from_this_site() or not session_is_live():
        return None
    form = form_of_request()
    page = page_of(form) if form is not None else None
    if page is None:
        return None
    try:
        keep_draft(current_user, form, posted_fields(form))
    except DraftRefused:
        db.session.rollback()
        return None
    db.session.commit()
    flash(
        _(
            "The form had expired, so nothing was saved. Your text is back in the form: "
            "check it and send it again."
        ),
        "error",
    )
    return redirect(page, code=303)
