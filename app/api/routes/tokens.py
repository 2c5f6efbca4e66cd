"""Token management on the settings page (signed-in session, CSRF-protected forms).

The views live on the auth blueprint, beside the settings page they belong to, so their
addresses are /auth/settings/tokens/...; tokens themselves never reach these views (the
API's token authentication applies under /api/ only).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.api.tokens.forms import NewTokenForm, RevokeTokenForm
from app.api.tokens.services import (
    TokenError,
    active_tokens,
    create_token_after_reauth,
    revoke_token,
)
from app.auth import bp
from app.auth.routes import login_rate_limit
from app.extensions import limiter
from app.form_submission import committed, submit_form, template_page


@bp.app_template_global("api_token_panel")
def api_token_panel() -> dict:
    """What the settings page's token section shows (templates/api/_tokens_panel.html)."""
    return {"tokens": active_tokens(current_user)}


@bp.route("/settings/tokens/new", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def new_api_token():
    form = NewTokenForm()
    return submit_form(
        form,
        lambda: create_token_after_reauth(current_user, form),
        # Shown in this response only: not flashed (the session cookie would carry it)
        # and not stored anywhere it could be shown again.
        done=lambda issued: render_template("api/token_created.html", issued=issued),
        page=template_page("api/new_token.html", form=form),
    )


@bp.route("/settings/tokens/revoke", methods=["POST"])
def revoke_api_token():
    form = RevokeTokenForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        token = committed(lambda: revoke_token(current_user, form.token_id.data))
    except TokenError:
        abort(404)
    flash(_("Token “%(name)s” is revoked; it stopped working at once.", name=token.name), "success")
    return redirect(url_for("auth.settings"))
