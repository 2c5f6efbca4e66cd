"""Account lifecycle: create, invite, set password, change role, deactivate, unlock."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select

from app.audit.services import record_event
from app.auth import session_registry
from app.auth.credential_hooks import revoke_other_credentials
from app.auth.models import ROLES, SetPasswordToken, User
from app.extensions import db
from app.reading_languages import clean_reading_languages
from app.security.password_strength import account_words
from app.security.passwords import hash_password, password_problem, verify_password
from app.service_errors import ServiceError
from app.timeutil import utcnow


class AccountError(ServiceError, ValueError):
    """A request about an account that cannot be carried out; the message is for the user."""


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(f"Not a valid email address: {exc}") from exc


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(
    email: str, name: str, role: str, password: str | None = None, actor: User | None = None
) -> User:
    """A new active account; without a password, only a set-password link opens it."""
    email = normalise_email(email)
    name = name.strip()
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    if not name:
        raise AccountError("A name is required.")
    if user_by_email(email) is not None:
        raise AccountError(f"An account with the email {email} already exists.")
    user = User(email=email, name=name, role=role)
    if password is not None:
        problem = password_problem(password, account_words(email, name))
        if problem:
            raise AccountError(problem)
        user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    record_event("user.created", actor=actor, target=user, details={"role": role})
    return user


def invite_user(email: str, name: str, role: str, actor: User) -> tuple[User, str]:
    """A new account without a password, and the token of its set-password link."""
    user = create_user(email, name, role, actor=actor)
    return user, issue_set_password_token(user, actor=actor)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_set_password_token(user: User, actor: User | None = None) -> str:
    """A one-time token for the set-password link; the user's earlier links stop working."""
    now = utcnow()
    for old in db.session.scalars(
        select(SetPasswordToken).where(
            SetPasswordToken.user_id == user.id, SetPasswordToken.used_at.is_(None)
        )
    ):
        old.used_at = now
    token = secrets.token_urlsafe(32)
    hours = current_app.config["INVITE_TTL_HOURS"]
    db.session.add(
        SetPasswordToken(
            user_id=user.id,
            token_digest=_token_digest(token),
            expires_at=now + timedelta(hours=hours),
        )
    )
    record_event("user.invited", actor=actor, target=user, details={"valid_hours": hours})
    return token


def user_for_set_password_token(token: str) -> User | None:
    row = db.session.scalar(
        select(SetPasswordToken).where(SetPasswordToken.token_digest == _token_digest(token))
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row.user if row.user.active else None


def set_password_with_token(token: str, password: str) -> User:
    user = user_for_set_password_token(token)
    if user is None:
        raise AccountError(
            "This link is invalid, used or expired. Ask an administrator for a new one."
        )
    row = db.session.scalar(
        select(SetPasswordToken).where(SetPasswordToken.token_digest == _token_digest(token))
    )
    row.used_at = utcnow()
    set_password(user, password, actor=user)
    return user


def set_password(user: User, password: str, actor: User | None = None) -> None:
    problem = password_problem(password, account_words(user.email, user.name))
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.session_version += 1
    record_event("password.set", actor=actor, target=user)
    end_api_tokens(user, "password", actor)


def change_own_password(user: User, current: str, new: str, session_token: str | None) -> None:
    """The signed-in user's own change: the current password first; this session stays open."""
    require_current_password(user, current)
    set_password(user, new, actor=user)
    session_registry.adopt_new_version(user, session_token)


def require_current_password(user: User, current: str) -> None:
    """Typed again before a sensitive change (ASVS V7.5.2); refused when it does not match."""
    if not verify_password(user.password_hash, current):
        raise AccountError("The current password is not correct.")


def set_language(user: User, language: str, reading_languages: list[str] | None = None) -> None:
    """The interface language and, when given, the reading languages (BCP 47 codes chosen from
    the list, most preferred first; app/reading_languages.py)."""
    if reading_languages is not None:
        user.reading_languages = clean_reading_languages(reading_languages)
    user.language = language


def change_role(user: User, role: str, actor: User) -> None:
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}.")
    if user.id == actor.id and role != user.role:
        raise AccountError("You cannot change your own role; ask another administrator.")
    if role == user.role:
        return
    old = user.role
    user.role = role
    user.session_version += 1
    record_event("user.role_changed", actor=actor, target=user, details={"from": old, "to": role})


def deactivate(user: User, actor: User) -> None:
    if user.id == actor.id:
        raise AccountError("You cannot deactivate your own account.")
    if not user.active:
        return
    user.active = False
    user.session_version += 1  # every open session ends at its next request
    record_event("user.deactivated", actor=actor, target=user)
    end_api_tokens(user, "deactivation", actor)


def reactivate(user: User, actor: User) -> None:
    if user.active:
        return
    user.active = True
    record_event("user.reactivated", actor=actor, target=user)


def sign_out_everywhere(users: list[User], actor: User | None) -> int:
    """End every open session of these accounts now (ASVS V7.4.5); how many ended."""
    from app.auth.session_registry import EndReason, end_everywhere

    ended = end_everywhere(users, EndReason.BY_ADMIN)
    for user in users:
        record_event("sessions.ended_by_admin", actor=actor, target=user)
        end_api_tokens(user, "sign_out_everywhere", actor)
    return ended


def end_api_tokens(user: User, reason: str, actor: User | None) -> int:
    """Revoke the account's API tokens (and any other registered credential): its credentials
    changed, or it was closed."""
    return revoke_other_credentials(user, reason, actor)


def unlock(user: User, actor: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    record_event("user.unlocked", actor=actor, target=user)
