"""Checking credentials: passwords, lockout after repeated failures, and the second factor."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from app.audit.service import record_event
from app.auth import session_registry
from app.auth.accounts import end_api_tokens, require_current_password, user_by_email
from app.auth.models import RecoveryCode, User
from app.extensions import db
from app.security import totp
from app.security.master_key import derive_key
from app.security.passwords import hash_password, needs_rehash, verify_password
from app.timeutil import utcnow


class LoginStatus(enum.Enum):
    OK = "ok"
    NEEDS_SECOND_FACTOR = "needs_second_factor"
    INVALID = "invalid"
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginOutcome:
    status: LoginStatus
    user: User | None = None
    message: str = ""


INVALID_CREDENTIALS = "Email or password is not correct."


def locked_message(user: User) -> str:
    until = user.locked_until.strftime("%H:%M UTC") if user.locked_until else ""
    return (
        "This account is locked after too many failed attempts. "
        f"Try again after {until}, or ask an administrator to unlock it."
    )


def register_failure(user: User, event: str) -> None:
    """Count a failed credential check; lock the account when the threshold is reached."""
    config = current_app.config
    user.failed_logins += 1
    record_event(event, actor=user, target=user, details={"consecutive": user.failed_logins})
    if user.failed_logins >= config["LOCKOUT_THRESHOLD"]:
        user.locked_until = utcnow() + timedelta(minutes=config["LOCKOUT_MINUTES"])
        record_event("login.locked", actor=user, target=user)


def check_password(email: str, password: str) -> LoginOutcome:
    """First step of signing in. Commits the failure counters it changes."""
    user = user_by_email(email)
    if user is None or not user.active:
        verify_password(None, password)  # same cost as a real check
        record_event("login.failure", details={"reason": "unknown or inactive account"})
        db.session.commit()
        return LoginOutcome(LoginStatus.INVALID, message=INVALID_CREDENTIALS)
    if user.is_locked():
        record_event("login.failure", actor=user, target=user, details={"reason": "locked"})
        db.session.commit()
        return LoginOutcome(LoginStatus.LOCKED, user, locked_message(user))
    if not verify_password(user.password_hash, password):
        register_failure(user, "login.failure")
        db.session.commit()
        if user.is_locked():
            return LoginOutcome(LoginStatus.LOCKED, user, locked_message(user))
        return LoginOutcome(LoginStatus.INVALID, message=INVALID_CREDENTIALS)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.has_2fa:
        db.session.commit()
        return LoginOutcome(LoginStatus.NEEDS_SECOND_FACTOR, user)
    return LoginOutcome(LoginStatus.OK, user)


def recovery_key() -> bytes:
    return derive_key(current_app.extensions["custos.master_key"], "recovery-codes")


def check_second_factor(user: User, code: str) -> LoginOutcome:
    """Second step: a current TOTP code (never one already used) or an unused recovery code."""
    if user.is_locked():
        return LoginOutcome(LoginStatus.LOCKED, user, locked_message(user))
    step = totp.matching_time_step(user.totp_secret or "", code, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return LoginOutcome(LoginStatus.OK, user)
    digest = totp.recovery_code_digest(recovery_key(), code)
    for recovery in user.recovery_codes:
        if recovery.used_at is None and recovery.digest == digest:
            recovery.used_at = utcnow()
            left = sum(1 for r in user.recovery_codes if r.used_at is None)
            record_event("2fa.recovery_code_used", actor=user, target=user, details={"left": left})
            return LoginOutcome(LoginStatus.OK, user)
    register_failure(user, "2fa.failure")
    db.session.commit()
    if user.is_locked():
        return LoginOutcome(LoginStatus.LOCKED, user, locked_message(user))
    return LoginOutcome(LoginStatus.INVALID, user, "That code is not correct or was already used.")


def record_login_success(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    record_event("login.success", actor=user, target=user)
    db.session.commit()


def unused_recovery_codes(user: User) -> int:
    return sum(1 for r in user.recovery_codes if r.used_at is None)


def replace_recovery_codes(user: User) -> list[str]:
    """Fresh codes (shown once); every earlier code stops working."""
    user.recovery_codes.clear()
    codes = totp.new_recovery_codes()
    key = recovery_key()
    for code in codes:
        user.recovery_codes.append(RecoveryCode(digest=totp.recovery_code_digest(key, code)))
    return codes


def record_logout(user: User, session_token: str | None) -> None:
    """Sign-out: audited, and this cookie's session ended server-side (the caller commits)."""
    record_event("logout", actor=user, target=user)
    session_registry.end_current(session_token)


def end_other_sessions(user: User, current: str, session_token: str | None, target: str) -> int:
    """End one other session ("public id") or all others ("others"); how many ended."""
    require_current_password(user, current)
    if target == "others":
        ended = session_registry.end_all_except(user, session_token)
        # Everywhere else means the API too: a token on a lost phone is as live as its session.
        end_api_tokens(user, "sign_out_everywhere", user)
    else:
        ended = int(session_registry.end_by_public_id(user, target))
    record_event("sessions.ended", actor=user, target=user, details={"n": ended})
    return ended
