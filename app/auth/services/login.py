"""Checking credentials: passwords, growing delays after repeated failures, the second factor."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.audit.services import record_event
from app.auth import session_registry
from app.auth.models import RecoveryCode, User
from app.auth.services.accounts import end_api_tokens, require_current_password, user_by_email
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


# One answer for an unknown address, a wrong password and an account that is waiting after
# failures: which accounts exist, and which are under attack, is nobody's business.
INVALID_CREDENTIALS = (
    "Email or password is not correct. After several failed attempts an account waits a "
    "little longer before each new try."
)
SECOND_FACTOR_WAIT = "Too many failed attempts on this account: sign in again in a few minutes."
# 2**30 seconds is decades: far past any ceiling, and the exponent stays small.
_MAX_DOUBLINGS = 30


def throttle_delay(failures: int) -> timedelta | None:
    """How long an account waits after this many consecutive failures (None: not at all).

    Growing delays, not a lock: from the threshold on, each failure doubles the wait, up to
    a ceiling, so guessing gets slow (at the 15-minute ceiling, under 100 tries a day: NIST
    SP 800-63B §5.2.2) while the owner is never kept out for longer than that ceiling.
    """
    config = current_app.config
    over = failures - config["LOCKOUT_THRESHOLD"]
    if over < 0:
        return None
    seconds = config["LOGIN_DELAY_BASE_SECONDS"] * 2 ** min(over, _MAX_DOUBLINGS)
    return timedelta(seconds=min(seconds, config["LOGIN_DELAY_MAX_MINUTES"] * 60))


def register_failure(user: User, event: str) -> None:
    """Count a failed credential check; from the threshold on, make the account wait."""
    user.failed_logins += 1
    record_event(event, actor=user, target=user, details={"consecutive": user.failed_logins})
    delay = throttle_delay(user.failed_logins)
    if delay is not None:
        user.locked_until = utcnow() + delay
        record_event(
            "login.throttled",
            actor=user,
            target=user,
            details={"seconds": int(delay.total_seconds())},
        )


def _invalid(user: User | None, reason: str | None) -> LoginOutcome:
    if reason is not None:
        record_event("login.failure", actor=user, target=user, details={"reason": reason})
    db.session.commit()
    return LoginOutcome(LoginStatus.INVALID, message=INVALID_CREDENTIALS)


def check_password(email: str, password: str) -> LoginOutcome:
    """First step of signing in. Commits the failure counters it changes.

    Every refusal does the same work (one argon2 verification, one audit row, one commit)
    and gives the same answer, so neither the words nor the time tell an unknown address, a
    wrong password and a waiting account apart. Attempts while an account waits are refused
    without being counted: counting them would let anyone stretch the wait for ever.
    """
    user = user_by_email(email)
    if user is None or not user.active:
        verify_password(None, password)  # against a dummy hash: the same work as a real check
        return _invalid(None, "unknown or inactive account")
    matches = verify_password(user.password_hash, password)
    if user.is_locked():
        return _invalid(user, "throttled")
    if not matches:
        register_failure(user, "login.failure")
        return _invalid(user, None)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.has_2fa:
        db.session.commit()
        return LoginOutcome(LoginStatus.NEEDS_SECOND_FACTOR, user)
    return LoginOutcome(LoginStatus.OK, user)


def recovery_key() -> bytes:
    return derive_key(current_app.extensions["custos.master_key"], "recovery-codes")


def check_second_factor(user: User, code: str) -> LoginOutcome:
    """Second step: a current TOTP code (never one already used) or an unused recovery code.

    Whoever reaches it typed the right password, so a waiting account may be named here."""
    if user.is_locked():
        return LoginOutcome(LoginStatus.LOCKED, user, SECOND_FACTOR_WAIT)
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
        return LoginOutcome(LoginStatus.LOCKED, user, SECOND_FACTOR_WAIT)
    return LoginOutcome(LoginStatus.INVALID, user, "That code is not correct or was already used.")


def record_login_success(user: User) -> str | None:
    """Reset the failure count; returns what the owner should know about failed attempts on
    their account since their last sign-in (someone may be guessing), or None."""
    failed = failures_since(user, user.last_login_at or user.created_at)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    record_event("login.success", actor=user, target=user)
    db.session.commit()
    if not failed:
        return None
    last = failed[-1].strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{len(failed)} failed sign-in attempts on your account since your last sign-in "
        f"(the last at {last}). If they were not yours, tell an administrator."
    )


def failures_since(user: User, since: datetime) -> list[datetime]:
    """When password or code checks on this account failed since `since`, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEvent.time)
            .where(
                AuditEvent.event.in_(("login.failure", "2fa.failure")),
                AuditEvent.target_type == "user",
                AuditEvent.target_id == user.id,
                AuditEvent.time > since,
            )
            .order_by(AuditEvent.time)
        )
    )


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
