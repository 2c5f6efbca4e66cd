"""Asking a signed-in person for their password (and TOTP code) again before a lasting credential
is made: an API token or new recovery codes outlive the session, so an unattended or stolen
session must not be enough to make them (ASVS 5.0 V7.5.1: full re-authentication before
changing what authenticates the account)."""

from __future__ import annotations

from app.audit.services import record_event
from app.auth.models import User
from app.auth.services.accounts import AccountError
from app.extensions import db
from app.security import totp
from app.security.passwords import verify_password

WRONG_PASSWORD = "Your password is not correct."  # noqa: S105 (a message, not a password)
WRONG_CODE = "That code from your authenticator app is not correct or was already used."


class ReauthRefused(AccountError):
    """The password or code typed again was wrong; `field` names the form field to mark."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def confirm_identity(user: User, password: str | None, code: str | None) -> None:
    """Raise ReauthRefused unless the password (and, when enrolled, a fresh TOTP code) is right.

    A failure is recorded and committed at once: it stays in the audit log whatever the caller
    does next. A code accepted here cannot be used again (its time step is remembered).
    """
    if not verify_password(user.password_hash, password or ""):
        _refuse(user, "password", WRONG_PASSWORD, "current")
    if user.has_2fa:
        step = totp.matching_time_step(user.totp_secret or "", code or "", user.totp_last_step)
        if step is None:
            _refuse(user, "code", WRONG_CODE, "code")
        user.totp_last_step = step


def _refuse(user: User, what: str, message: str, field: str) -> None:
    record_event("reauth.failure", actor=user, target=user, details={"wrong": what})
    db.session.commit()
    raise ReauthRefused(message, field)


def regenerate_recovery_codes(user: User, password: str | None, code: str | None) -> list[str]:
    """Fresh recovery codes (shown once), after the password and a TOTP code typed again."""
    from app.auth.services.login import replace_recovery_codes

    confirm_identity(user, password, code)
    return replace_recovery_codes(user)
