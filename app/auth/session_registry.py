"""Server-side sessions: begin at sign-in, end at sign-out, expire, and are listed to their user.

Flask's session is a signed cookie; on its own, a copied cookie would keep working after its
user signed out, and nobody could see or end the other browsers signed in to an account. So
each sign-in also makes a `UserSession` row whose random token rides in the cookie, and every
request checks that row: ended, expired (absolute lifetime) or older than the user's
session_version means signed out. Each account may hold a limited number of sessions; a new
sign-in beyond that ends the one idle longest (docs/security.md, "Sessions").
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app.auth.models import User, UserSession
from app.extensions import db
from app.timeutil import utcnow

# Update last_seen_at at most this often: a write per request would cost every page a commit.
TOUCH_INTERVAL = timedelta(seconds=60)


class EndReason:
    SIGNED_OUT = "signed_out"
    ENDED_BY_USER = "ended_by_user"
    EXPIRED = "expired"
    IDLE = "idle"
    REPLACED = "replaced_by_newer_sign_in"
    BY_ADMIN = "ended_by_administrator"


@dataclass(frozen=True)
class SessionCheck:
    """Whether a request's session is still good, and if not why (a message for its user)."""

    row: UserSession | None
    problem: str | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def describe_client(user_agent: str | None) -> str:
    """A short, human description of the browser ('Firefox on Android'), never the raw string."""
    agent = user_agent or ""
    browser = "Browser"
    for name, pattern in (
        ("Edge", r"Edg/"),
        ("Firefox", r"Firefox/"),
        ("Chromium", r"Chromium/"),
        ("Chrome", r"Chrome/"),
        ("Safari", r"Safari/"),
        ("Command line", r"^(curl|Wget|python-requests|python-httpx)"),
    ):
        if re.search(pattern, agent):
            browser = name
            break
    system = ""
    for name, pattern in (
        ("Android", r"Android"),
        ("iOS", r"iPhone|iPad"),
        ("Windows", r"Windows"),
        ("macOS", r"Mac OS X"),
        ("Linux", r"Linux"),
    ):
        if re.search(pattern, agent):
            system = name
            break
    return f"{browser} on {system}" if system else browser


def max_lifetime() -> timedelta:
    return timedelta(hours=current_app.config["SESSION_MAX_HOURS"])


def start(user: User, user_agent: str | None) -> str:
    """A new session for the user; returns the token for the cookie. The caller commits."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        UserSession(
            public_id=secrets.token_hex(8),
            token_digest=_digest(token),
            user_id=user.id,
            user_version=user.session_version,
            client=describe_client(user_agent),
            created_at=now,
            last_seen_at=now,
        )
    )
    db.session.flush()
    _enforce_limit(user)
    return token


def _enforce_limit(user: User) -> None:
    """Beyond the allowed number of live sessions, end the ones idle longest."""
    limit = current_app.config["MAX_SESSIONS_PER_USER"]
    live = live_sessions(user)
    for row in sorted(live, key=lambda r: r.last_seen_at)[: max(0, len(live) - limit)]:
        _end(row, EndReason.REPLACED)


def _end(row: UserSession, reason: str) -> None:
    if row.ended_at is None:
        row.ended_at = utcnow()
        row.end_reason = reason


def live_sessions(user: User) -> list[UserSession]:
    """The user's sessions that still work, newest first."""
    oldest = utcnow() - max_lifetime()
    return list(
        db.session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
                UserSession.user_version == user.session_version,
                UserSession.created_at > oldest,
            )
            .order_by(UserSession.created_at.desc())
        )
    )


def check(token: str | None, user: User) -> SessionCheck:
    """Is the cookie's session still live for this user? Touches last_seen_at (no commit)."""
    row = (
        db.session.scalar(select(UserSession).where(UserSession.token_digest == _digest(token)))
        if token
        else None
    )
    if row is None or row.user_id != user.id or row.user_version != user.session_version:
        return SessionCheck(None, "Please sign in again.")
    if row.ended_at is not None:
        return SessionCheck(row, "This session was ended. Please sign in again.")
    now = utcnow()
    if now - row.created_at > max_lifetime():
        _end(row, EndReason.EXPIRED)
        hours = current_app.config["SESSION_MAX_HOURS"]
        return SessionCheck(row, f"Sessions last at most {hours} hours. Please sign in again.")
    if now - row.last_seen_at > TOUCH_INTERVAL:
        row.last_seen_at = now
    return SessionCheck(row)


def end_current(token: str | None, reason: str = EndReason.SIGNED_OUT) -> None:
    """End the session this cookie belongs to (sign-out, idle timeout). The caller commits."""
    if not token:
        return
    row = db.session.scalar(select(UserSession).where(UserSession.token_digest == _digest(token)))
    if row is not None:
        _end(row, reason)


def end_by_public_id(user: User, public_id: str) -> bool:
    """End one of the user's own sessions; False when there is no such live session."""
    row = db.session.scalar(
        select(UserSession).where(
            UserSession.user_id == user.id,
            UserSession.public_id == public_id,
            UserSession.ended_at.is_(None),
        )
    )
    if row is None:
        return False
    _end(row, EndReason.ENDED_BY_USER)
    return True


def end_all_except(user: User, token: str | None) -> int:
    """End every live session of the user but the one this cookie belongs to; how many ended."""
    keep = _digest(token) if token else None
    ended = 0
    for row in live_sessions(user):
        if row.token_digest != keep:
            _end(row, EndReason.ENDED_BY_USER)
            ended += 1
    return ended


def end_everywhere(users: list[User], reason: str) -> int:
    """End every live session of these users (an administrator's action); how many ended."""
    ended = 0
    for user in users:
        for row in live_sessions(user):
            _end(row, reason)
            ended += 1
    return ended


def adopt_new_version(user: User, token: str | None) -> None:
    """After the user's own password change, keep this session (the others end with the bump)."""
    if not token:
        return
    row = db.session.scalar(select(UserSession).where(UserSession.token_digest == _digest(token)))
    if row is not None and row.user_id == user.id and row.ended_at is None:
        row.user_version = user.session_version


def is_current(row: UserSession, token: str | None) -> bool:
    return bool(token) and row.token_digest == _digest(token)
