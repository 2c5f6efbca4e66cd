"""Enrolling, confirming and resetting the TOTP second factor."""

from __future__ import annotations

from app.audit.services import record_event
from app.auth.models import User
from app.auth.services.accounts import end_api_tokens
from app.auth.services.login import replace_recovery_codes
from app.security import totp
from app.timeutil import utcnow


def pending_secret(user: User) -> str:
    """The secret being enrolled; kept encrypted in the database, never in the session cookie."""
    if not user.totp_pending_secret:
        user.totp_pending_secret = totp.new_totp_secret()
    return user.totp_pending_secret


def confirm_enrollment(user: User, code: str) -> list[str] | None:
    """Activate the pending secret if the code matches; returns the new recovery codes."""
    secret = user.totp_pending_secret
    if not secret:
        return None
    step = totp.matching_time_step(secret, code, None)
    if step is None:
        return None
    user.totp_secret = secret
    user.totp_pending_secret = None
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = replace_recovery_codes(user)
    record_event("2fa.enrolled", actor=user, target=user)
    return codes


def reset_second_factor(user: User, actor: User | None) -> None:
    """Admin reset: the user enrolls again at next sign-in; open sessions end."""
    user.totp_secret = None
    user.totp_pending_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.recovery_codes.clear()
    user.session_version += 1
    record_event("2fa.reset", actor=actor, target=user)
    end_api_tokens(user, "second_factor_reset", actor)
