"""The demo accounts: made (or, with --force, refreshed) through the account services, 2FA enrolled.

Passwords and TOTP secrets are fresh random values on every load and exist only in the
printout; the database keeps the argon2id hash and the encrypted secret, as for anyone.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import pyotp

from app.auth.models import User
from app.auth.services import accounts
from app.auth.services.enrollment import confirm_enrollment, pending_secret, reset_second_factor
from app.demo.specs import AccountSpec, Scenario


class EnrollmentFailed(RuntimeError):
    """The TOTP enrollment of a demo account did not confirm (clock jumped twice)."""


@dataclass(frozen=True)
class DemoAccount:
    """An account and the credentials printed once for it."""

    key: str
    user: User
    password: str
    totp_secret: str | None

    def line(self) -> str:
        """EMAIL<TAB>ROLE<TAB>PASSWORD<TAB>TOTP_SECRET, `-` without a second factor (issue 7)."""
        return "\t".join([self.user.email, self.user.role, self.password, self.totp_secret or "-"])


def new_password() -> str:
    return secrets.token_urlsafe(15)  # 120 bits, 20 characters, no tab or space


def provide_accounts(scenario: Scenario) -> dict[str, DemoAccount]:
    """Every demo account by scenario key: the admin first, who is the actor for the rest."""
    specs = sorted(scenario.accounts, key=lambda spec: spec.role != "admin")
    if specs[0].role != "admin":
        raise ValueError("the demo scenario needs an admin account")
    made: dict[str, DemoAccount] = {}
    admin: User | None = None
    for spec in specs:
        account = _provide(spec, admin)
        admin = admin or account.user
        made[spec.key] = account
    return made


def _provide(spec: AccountSpec, admin: User | None) -> DemoAccount:
    password = new_password()
    user = accounts.user_by_email(spec.email)
    if user is None:
        user = accounts.create_user(spec.email, spec.name, spec.role, password, actor=admin)
    else:
        # A forced reload: the account exists from an earlier load; its old credentials were
        # printed once and are replaced, like an administrator's reset would.
        actor = admin or user
        accounts.set_password(user, password, actor=actor)
        accounts.reactivate(user, actor=actor)
        accounts.unlock(user, actor=actor)
        if user.has_2fa or user.totp_pending_secret:
            reset_second_factor(user, actor=actor)
    secret = enroll_totp(user) if user.requires_2fa else None
    return DemoAccount(spec.key, user, password, secret)


def enroll_totp(user: User) -> str:
    """Enroll a TOTP secret as the person would, confirming with a code from it.

    The code confirmed is the previous time step's (accepted as clock drift, RFC 6238 §5.2),
    so the code an authenticator shows right after loading is still unused and signs in.
    """
    secret = pending_secret(user)
    totp = pyotp.TOTP(secret)
    for _ in range(2):  # a time-step boundary between reading the clock and checking
        step = int(time.time()) // totp.interval - 1
        if confirm_enrollment(user, totp.generate_otp(step)) is not None:
            return secret
    raise EnrollmentFailed(f"could not enroll the second factor of {user.email}")
