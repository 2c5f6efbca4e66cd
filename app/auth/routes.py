"""Thin views for signing in and out, the second factor, set-password links and settings."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from app.auth import bp, session_registry
from app.auth.forms import (
    ChangePasswordForm,
    ConfirmForm,
    EndSessionsForm,
    EnrollForm,
    LanguageForm,
    LoginForm,
    ReauthForm,
    SecondFactorForm,
    SetPasswordForm,
)
from app.auth.gate import SESSION_ID_KEY
from app.auth.models import User
from app.auth.reauth import regenerate_recovery_codes
from app.auth.services.accounts import change_own_password, set_language, set_password_with_token
from app.auth.services.enrollment import confirm_enrollment, pending_secret
from app.auth.services.login import (
    LoginStatus,
    check_password,
    check_second_factor,
    end_other_sessions,
    record_login_success,
    record_logout,
    unused_recovery_codes,
)
from app.extensions import db, limiter
from app.form_submission import commit_or_refuse, committed
from app.language_codes import choices as language_choices
from app.language_codes import split_codes
from app.security import totp
from app.service_errors import ServiceError

PENDING_SECOND_FACTOR_SECONDS = 300


def login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def safe_next(target: str | None) -> str:
    """Only a local path: an absolute or scheme-relative URL would make login an open redirect."""
    if not target:
        return url_for("main.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.home")
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return url_for("main.home")
    return target


def finish_login(user: User, next_target: str | None):
    session.clear()  # nothing from before sign-in survives it (session fixation)
    login_user(user)
    session[SESSION_ID_KEY] = session_registry.start(user, request.user_agent.string)
    session["last_seen"] = int(time.time())
    session.permanent = True
    notice = record_login_success(user)
    if notice:
        flash(notice, "info")
    return redirect(safe_next(next_target))


def flash_form_errors(form) -> None:
    """A settings form posts back to the settings page: its errors go there as messages."""
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template(
            "auth/login.html", form=form
        ), 400 if request.method == "POST" else 200
    outcome = check_password(form.email.data, form.password.data)
    if outcome.status is LoginStatus.NEEDS_SECOND_FACTOR:
        session.clear()
        session["pending_user"] = outcome.user.get_id()
        session["pending_since"] = int(time.time())
        return redirect(url_for("auth.second_factor", next=form.next.data or None))
    if outcome.status is LoginStatus.OK:
        return finish_login(outcome.user, form.next.data)
    flash(outcome.message, "error")
    status = 423 if outcome.status is LoginStatus.LOCKED else 401
    return render_template("auth/login.html", form=form), status


def pending_user() -> User | None:
    pending = session.get("pending_user")
    since = session.get("pending_since", 0)
    if not pending or time.time() - since > PENDING_SECOND_FACTOR_SECONDS:
        return None
    user_id, _, version = pending.partition(":")
    user = db.session.scalar(select(User).where(User.id == user_id))
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user


@bp.route("/2fa", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def second_factor():
    if current_user.is_authenticated:
        # Signed in already: a link or image pointing here must not sign anyone out.
        return redirect(url_for("main.home"))
    user = pending_user()
    if user is None:
        session.clear()
        flash("Please sign in again.", "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/second_factor.html", form=form), status
    outcome = check_second_factor(user, form.code.data)
    if outcome.status is LoginStatus.OK:
        return finish_login(user, form.next.data)
    if outcome.status is LoginStatus.LOCKED:
        session.clear()  # before flashing: the message lives in the session
        flash(outcome.message, "error")
        return render_template("auth/login.html", form=LoginForm()), 423
    flash(outcome.message, "error")
    return render_template("auth/second_factor.html", form=form), 401


@bp.route("/logout", methods=["POST"])
def logout():
    ConfirmForm.require()
    committed(lambda: record_logout(current_user, session.get(SESSION_ID_KEY)))
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/2fa/enroll", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def enroll_2fa():
    if current_user.has_2fa:
        return redirect(url_for("auth.settings"))
    secret = committed(lambda: pending_secret(current_user))
    form = EnrollForm()
    if form.validate_on_submit():
        codes = committed(lambda: confirm_enrollment(current_user, form.code.data))
        if codes is not None:
            return render_template("auth/recovery_codes.html", codes=codes)
        flash("That code is not correct. Check the time on your phone and try again.", "error")
    status = 400 if request.method == "POST" else 200
    return render_template("auth/enroll.html", form=form, secret=secret), status


@bp.route("/2fa/qr.svg")
def enroll_2fa_qr():
    if current_user.has_2fa:
        return redirect(url_for("auth.settings"))
    if not current_user.totp_pending_secret:
        return redirect(url_for("auth.enroll_2fa"))
    uri = totp.provisioning_uri(current_user.totp_pending_secret, current_user.email)
    response = Response(totp.qr_svg(uri), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/2fa/recovery-codes", methods=["POST"])
@limiter.limit(login_rate_limit)
def recovery_codes():
    form = ReauthForm()
    if not current_user.has_2fa:
        abort(400)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("auth.settings")), 303
    codes = commit_or_refuse(
        lambda: regenerate_recovery_codes(current_user, form.current.data, form.code.data)
    )
    if isinstance(codes, ServiceError):
        return redirect(url_for("auth.settings")), 303
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.route("/set-password", methods=["GET", "POST"], endpoint="set_password")
@limiter.limit(login_rate_limit, methods=["POST"])
def set_password_view():
    # The token travels in the link's #fragment, which browsers never send to the server, so it
    # never appears in access logs; static/js/set_password.js copies it into the form.
    form = SetPasswordForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/set_password.html", form=form), status
    outcome = commit_or_refuse(
        lambda: set_password_with_token(form.token.data.strip(), form.password.data)
    )
    if isinstance(outcome, ServiceError):
        return render_template("auth/set_password.html", form=form), outcome.status
    flash("Your password is set. Sign in with it now.", "success")
    return redirect(url_for("auth.login"))


def _language_form(form: LanguageForm | None = None) -> LanguageForm:
    """The language form, its reading languages offered from the list in the reader's language."""
    form = form or LanguageForm(language=current_user.language)
    form.set_reading_choices(
        list(language_choices(str(get_locale() or "en"))),
        split_codes(current_user.reading_languages),
    )
    if not form.is_submitted():
        form.reading_languages.data = split_codes(current_user.reading_languages)
    return form


@bp.route("/settings", methods=["GET"])
def settings():
    return _settings_page()


def _settings_page(language_form: LanguageForm | None = None, status: int = 200):
    return render_template(
        "auth/settings.html",
        password_form=ChangePasswordForm(),
        language_form=_language_form(language_form),
        confirm_form=ConfirmForm(),
        reauth_form=ReauthForm(),
        unused_codes=unused_recovery_codes(current_user) if current_user.has_2fa else 0,
        sessions=session_registry.live_sessions(current_user),
        current_token=session.get(SESSION_ID_KEY),
        is_current_session=session_registry.is_current,
        end_sessions_form=EndSessionsForm(),
    ), status


@bp.route("/settings/sessions/end", methods=["POST"])
@limiter.limit(login_rate_limit)
def end_sessions():
    """End one other session, or all others, after the password is typed again (ASVS V7.5.2)."""
    form = EndSessionsForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("auth.settings")), 303
    ended = commit_or_refuse(
        lambda: end_other_sessions(
            current_user, form.current.data, session.get(SESSION_ID_KEY), form.session.data
        )
    )
    if not isinstance(ended, ServiceError):
        flash(f"{ended} other session(s) signed out.", "success")
    return redirect(url_for("auth.settings")), 303


@bp.route("/settings/password", methods=["POST"])
@limiter.limit(login_rate_limit)
def change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("auth.settings"))
    outcome = commit_or_refuse(
        lambda: change_own_password(
            current_user, form.current.data, form.password.data, session.get(SESSION_ID_KEY)
        )
    )
    if not isinstance(outcome, ServiceError):
        login_user(current_user._get_current_object())  # keep this session only
        flash("Your password is changed. Other sessions were signed out.", "success")
    return redirect(url_for("auth.settings"))


@bp.route("/settings/language", methods=["POST"])
def change_language():
    form = _language_form(LanguageForm())
    if not form.validate_on_submit():  # the settings page again, the form as it was sent
        return _settings_page(language_form=form, status=400)
    outcome = commit_or_refuse(
        lambda: set_language(current_user, form.language.data, form.reading_languages.data),
        form,
    )
    if isinstance(outcome, ServiceError):
        return _settings_page(language_form=form, status=outcome.status)
    return redirect(url_for("auth.settings"))
