"""`flask users ...`: create and list accounts from the command line."""

from __future__ import annotations

import secrets
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.auth.models import ROLES, User
from app.auth.services import accounts
from app.extensions import db

users_cli = AppGroup("users", help="Create and list user accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, help=f"One of: {', '.join(ROLES)}.")
@click.option("--name", required=True, help="The person's name as colleagues know it.")
def create_user(email: str, role: str, name: str) -> None:
    """Create an account; the password is read from stdin, or a set-password link is printed."""
    password = None
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n") or None
    try:
        user = accounts.create_user(email, name, role, password=password)
        token = None if password else accounts.issue_set_password_token(user)
    except accounts.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {user.email} ({user.role})")
    if token:
        base = current_app.config["CUSTOS_BASE_URL"].rstrip("/")
        hours = current_app.config["INVITE_TTL_HOURS"]
        click.echo(
            f"one-time set-password link (valid {hours} h): {base}/auth/set-password#{token}"
        )
    if user.requires_2fa:
        click.echo("this role must enroll a TOTP second factor at first sign-in")


@users_cli.command("list")
def list_users() -> None:
    """One account a line: email, role, state."""
    for user in db.session.scalars(select(User).order_by(User.email)):
        state = "active" if user.active else "deactivated"
        if user.is_locked():
            state += ",locked"
        twofa = "2fa" if user.has_2fa else "no-2fa"
        click.echo(f"{user.email}\t{user.role}\t{state}\t{twofa}\t{user.name}")


@users_cli.command("sign-out")
@click.argument("email", required=False)
@click.option("--all", "everyone", is_flag=True, help="Every account (after a suspected breach).")
def sign_out(email: str | None, everyone: bool) -> None:
    """End every open session of one account (EMAIL) or of all accounts (--all)."""
    if bool(email) == everyone:
        raise click.UsageError("Give one EMAIL or --all.")
    if everyone:
        users = list(db.session.scalars(select(User)))
    else:
        users = [_account_or_fail(email)]
    ended = accounts.sign_out_everywhere(users, actor=None)
    db.session.commit()
    click.echo(f"signed out {ended} session(s) of {len(users)} account(s)")


def _account_or_fail(email: str) -> User:
    user = accounts.user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the email {email}.")
    return user


@users_cli.command("reset-2fa")
@click.argument("email")
def reset_2fa(email: str) -> None:
    """Reset an account's second factor (on the web, a lawyer's or admin's needs two admins)."""
    from app.admin.approvals.services import record_sole_actor
    from app.auth.services.enrollment import reset_second_factor

    user = _account_or_fail(email)
    reset_second_factor(user, actor=None)
    record_sole_actor("reset_second_factor", user)
    db.session.commit()
    click.echo(f"second factor of {user.email} reset; recorded as done by one person")


@users_cli.command("reinvite")
@click.argument("email")
def reinvite(email: str) -> None:
    """Print a new one-time set-password link (on the web, for an account in use, two admins)."""
    from app.admin.approvals.services import record_sole_actor

    user = _account_or_fail(email)
    if not user.active:
        raise click.ClickException(f"{user.email} is deactivated; reactivate it first.")
    token = accounts.issue_set_password_token(user)
    record_sole_actor("reinvite", user)
    db.session.commit()
    base = current_app.config["CUSTOS_BASE_URL"].rstrip("/")
    hours = current_app.config["INVITE_TTL_HOURS"]
    click.echo(f"one-time set-password link (valid {hours} h): {base}/auth/set-password#{token}")
    click.echo("recorded as done by one person")


@users_cli.command("first-run")
@click.option("--email", default="admin@custos.example", show_default=True)
def first_run(email: str) -> None:
    """On an empty database, create the first admin and print how to sign in (once)."""
    base = current_app.config["CUSTOS_BASE_URL"].rstrip("/")
    if db.session.scalar(select(User.id).limit(1)) is not None:
        click.echo(f"Custos is starting at {base}/ — sign in with your account.")
        return
    password = secrets.token_urlsafe(15)
    user = accounts.create_user(email, "First administrator", "admin", password=password)
    db.session.commit()
    click.echo(
        "\n".join(
            [
                "",
                "First start: an administrator account was created. This is shown only once.",
                f"  sign in at  {base}/auth/login",
                f"  email       {user.email}",
                f"  password    {password}",
                "  You will be asked to set up a TOTP second factor (any authenticator app).",
                "",
            ]
        )
    )
