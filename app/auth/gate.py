"""Deny by default at the door: sign-in, idle timeout and mandatory 2FA for every request.

Modelled on SecureDrop's journalist app: the few views reachable without signing in are named
in one allow-list, and every other request is redirected to sign in by one before_request hook.
A new route is therefore private unless someone decides otherwise.
"""

from __future__ import annotations

import time

from flask import Flask, flash, g, jsonify, redirect, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import select

from app.audit.services import record_event
from app.auth import session_registry
from app.auth.models import User
from app.extensions import db, login_manager

PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "auth.login",
        "auth.second_factor",
        "auth.set_password",
        "health.healthz",
        "health.readyz",
    }
)
# The key under which the Flask session carries the server-side session's token.
SESSION_ID_KEY = "sid"
# What a lawyer or admin without a second factor may reach: only the way to enroll one.
ENROLLMENT_ENDPOINTS = frozenset(
    {"static", "auth.enroll_2fa", "auth.enroll_2fa_qr", "auth.recovery_codes", "auth.logout"}
)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The session id is `user_id:session_version`; an old version or inactive user is nobody."""
    user_id, _, version = session_id.partition(":")
    user = db.session.scalar(select(User).where(User.id == user_id))
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user


def wants_json() -> bool:
    """The API, and the drafts a page's script keeps (it must learn the session ended)."""
    return request.path.startswith(("/api/", "/drafts"))


def install_gate(app: Flask) -> None:
    login_manager.session_protection = "strong"
    login_manager.login_view = "auth.login"

    @app.before_request
    def enforce_server_session() -> None:
        """The cookie's session must be live on the server (session_registry)."""
        if not current_user.is_authenticated:
            return None
        if g.get("api_token") is not None or g.get("openrosa_device") is not None:
            # A bearer-token or device request has no cookie session (app/api/auth.py,
            # app/openrosa/auth.py).
            return None
        outcome = session_registry.check(session.get(SESSION_ID_KEY), current_user)
        if outcome.problem is None:
            if db.session.dirty:
                db.session.commit()
            return None
        if outcome.row is not None and outcome.row.end_reason == "expired":
            record_event("session.expired", actor=current_user, target=current_user)
        db.session.commit()
        logout_user()
        session.clear()
        flash(outcome.problem, "info")
        return None

    @app.before_request
    def enforce_idle_timeout() -> None:
        if not current_user.is_authenticated:
            return None
        now = int(time.time())
        last_seen = session.get("last_seen")
        limit = app.config["IDLE_TIMEOUT_MINUTES"] * 60
        if last_seen is not None and now - int(last_seen) > limit:
            record_event("session.idle_timeout", actor=current_user, target=current_user)
            session_registry.end_current(
                session.get(SESSION_ID_KEY), session_registry.EndReason.IDLE
            )
            db.session.commit()
            logout_user()
            session.clear()
            flash(
                f"You were signed out after {app.config['IDLE_TIMEOUT_MINUTES']} minutes "
                "without activity.",
                "info",
            )
            return None
        session["last_seen"] = now
        session.permanent = True
        return None

    @app.before_request
    def require_sign_in():
        endpoint = request.endpoint
        if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
            return None
        if not current_user.is_authenticated:
            if wants_json():
                return jsonify(error={"code": "unauthorized", "message": "Sign in first."}), 401
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if current_user.requires_2fa and not current_user.has_2fa:
            if endpoint not in ENROLLMENT_ENDPOINTS:
                if wants_json():
                    return jsonify(
                        error={"code": "2fa_required", "message": "Enroll a second factor first."}
                    ), 403
                return redirect(url_for("auth.enroll_2fa"))
        return None
