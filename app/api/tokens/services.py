"""Issuing, checking and revoking personal API tokens (issue 5, item 6).

A token is `custos_` followed by 32 random bytes (256 bits) in URL-safe base64. Only its
SHA-256 is stored. A slow password hash (argon2id, as for passwords) protects secrets that
people choose and that can be guessed; a uniformly random 256-bit secret cannot be guessed
or brute-forced from its SHA-256, so a slow hash would add nothing but cost: an argon2 run
of 64 MiB on every API request would be a denial-of-service lever, and an unsalted digest
can be looked up through a unique index instead of trying every stored hash in turn.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app.api.tokens.models import ApiToken
from app.audit.services import record_event
from app.auth.models import User
from app.auth.reauth import confirm_identity
from app.extensions import db
from app.service_errors import ServiceError
from app.timeutil import utcnow

TOKEN_PREFIX = "custos_"  # noqa: S105 (a public marker for secret scanners, not a secret)
TOKEN_BYTES = 32
# Longest string worth hashing: the prefix and 43 base64 characters, with room to spare.
MAX_TOKEN_CHARS = 100
READ = "read"
WRITE = "write"
SCOPES = {"read": frozenset({READ}), "read write": frozenset({READ, WRITE})}
MAX_NAME = 80
MAX_ACTIVE_TOKENS = 20
# last_used_at is rewritten at most this often: a busy client must not turn every read
# into a write on the same row.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ServiceError):
    """A token request refused; `field` names the form field it concerns, if any."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message, field)
        self.code = code


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown to its owner once, never stored


class TokenStatus(enum.Enum):
    OK = "ok"
    INVALID = "invalid_token"  # unknown, malformed, revoked, or the owner is deactivated
    EXPIRED = "token_expired"
    SECOND_FACTOR_MISSING = "2fa_required"  # a lawyer/admin whose 2FA was reset


@dataclass(frozen=True)
class TokenCheck:
    status: TokenStatus
    token: ApiToken | None = None
    user: User | None = None


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _expiry(expires_on: date | None, now: datetime, max_days: int) -> datetime:
    """A token made to expire on a date works until the end of that day (UTC); without a date
    it works for max_days. A credential that never ends outlives the need it was made for."""
    if expires_on is None:
        return now + timedelta(days=max_days)
    if expires_on < now.date():
        raise TokenError("expiry_in_past", "The expiry date must be today or later.", "expires_on")
    if expires_on > (now + timedelta(days=max_days)).date():
        raise TokenError(
            "expiry_too_late",
            f"A token lasts at most {max_days} days; choose an earlier date.",
            "expires_on",
        )
    return datetime.combine(expires_on, time.max)


def active_tokens(user: Any) -> list[ApiToken]:
    """The user's tokens that are not revoked (expired ones included, marked by expires_at)."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id)
        )
    )


def create_token(user: Any, name: str, scope: str, expires_on: date | None) -> IssuedToken:
    """A new token for `user` (who is making it for themselves); the caller commits."""
    if not user.active:
        raise TokenError("inactive", "This account is deactivated.")
    if user.requires_2fa and not user.has_2fa:
        # Lawyers and admins reach everything only with a second factor; a token must not
        # become a way around it.
        raise TokenError("2fa_required", "Turn on your second factor before making a token.")
    name = " ".join((name or "").split())
    if not name:
        raise TokenError("required", "Give the token a name, such as the device it is for.", "name")
    if len(name) > MAX_NAME:
        raise TokenError("too_long", f"Use at most {MAX_NAME} characters.", "name")
    if scope not in SCOPES:
        raise TokenError("invalid_choice", "Choose read, or read and write.", "scope")
    now = utcnow()
    expires_at = _expiry(expires_on, now, current_app.config["CUSTOS_API_TOKEN_MAX_DAYS"])
    count = db.session.scalar(
        select(func.count())
        .select_from(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if count >= MAX_ACTIVE_TOKENS:
        raise TokenError(
            "too_many", f"You have {MAX_ACTIVE_TOKENS} tokens; revoke one you no longer use."
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_digest=token_digest(secret),
        scope=scope,
        created_at=now,
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    record_event(
        "api_token.created", actor=user, target=user, details={"token": token.id, "scope": scope}
    )
    return IssuedToken(token=token, secret=secret)


def create_token_after_reauth(user: Any, form: Any) -> IssuedToken:
    """create_token from the settings form, once its owner typed their password (and a TOTP
    code) again: a session left open must not be enough to make a lasting credential."""
    confirm_identity(user, form.current.data, form.code.data)
    return create_token(user, form.name.data, form.scope.data, form.expires_on.data)


def revoke_token(user: Any, token_id: str) -> ApiToken:
    """Revoke one of the user's own tokens at once; the row stays as a record of its use."""
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
    if token is None:
        raise TokenError("unknown_token", "There is no such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_event(
            "api_token.revoked",
            actor=user,
            target=user,
            details={"token": token.id, "reason": "by_owner"},
        )
        db.session.flush()
    return token


def revoke_all_tokens(user: Any, reason: str, actor: Any | None) -> int:
    """Revoke every live token of the account (its credentials changed or it was closed).

    Revoked, not merely refused: a reactivated account or a second factor enrolled again
    does not bring old tokens back to life. How many were revoked; the caller commits.
    """
    now = utcnow()
    tokens = active_tokens(user)
    for token in tokens:
        token.revoked_at = now
        record_event(
            "api_token.revoked",
            actor=actor,
            target=user,
            details={"token": token.id, "reason": reason},
        )
    return len(tokens)


def check_token(secret: str | None, now: datetime | None = None) -> TokenCheck:
    """Who a presented token speaks for, checked afresh on every request.

    Every property that can end a token is read from the database each time, so revoking a
    token, deactivating its owner or resetting their second factor takes effect at once.
    """
    if not secret or len(secret) > MAX_TOKEN_CHARS or not secret.startswith(TOKEN_PREFIX):
        return TokenCheck(TokenStatus.INVALID)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_digest == token_digest(secret)))
    if token is None or token.revoked_at is not None:
        return TokenCheck(TokenStatus.INVALID)
    user = db.session.get(User, token.user_id)
    if user is None or not user.active:
        return TokenCheck(TokenStatus.INVALID)
    if token.is_expired(now):
        return TokenCheck(TokenStatus.EXPIRED, token, user)
    if user.requires_2fa and not user.has_2fa:
        return TokenCheck(TokenStatus.SECOND_FACTOR_MISSING, token, user)
    return TokenCheck(TokenStatus.OK, token, user)


def record_use(token: ApiToken, now: datetime | None = None) -> bool:
    """Note that the token was used now; True when the row changed (the caller commits)."""
    now = now or utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return False
    token.last_used_at = now
    return True
