"""`flask investigations ...`: create investigations, add members, list, close and reopen them."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.admin import services
from app.auth.services.accounts import user_by_email
from app.extensions import db
from app.investigations.models import Investigation, Membership
from app.retention import closing

investigations_cli = AppGroup("investigations", help="Create investigations and manage members.")


@investigations_cli.command("create")
@click.argument("reference")
@click.option("--title", required=True)
@click.option("--description", default="")
def create(reference: str, title: str, description: str) -> None:
    """Create an investigation with a reference like INV-2015-SYR-01."""
    try:
        investigation = services.create_investigation(reference, title, description)
    except services.InvestigationError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {investigation.reference}")


@investigations_cli.command("add-member")
@click.argument("reference")
@click.argument("email")
@click.option("--role", default=None, help="field, lawyer or lead (default from the account).")
@click.option("--may-see-identities", is_flag=True, help="Allow seeing witness identities.")
def add_member(reference: str, email: str, role: str | None, may_see_identities: bool) -> None:
    """Make an account a member of an investigation (recorded in the audit log)."""
    investigation = services.investigation_by_reference(reference.upper())
    if investigation is None:
        raise click.ClickException(f"No investigation {reference}.")
    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account {email}.")
    try:
        services.grant_membership(
            investigation, user, actor=None, role=role, may_see_identities=may_see_identities
        )
    except services.InvestigationError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    if may_see_identities:
        # On the web an admin granting this to themselves needs a second admin (four eyes).
        from app.admin.approvals.services import record_sole_actor

        record_sole_actor("identity_grant", user, investigation)
    db.session.commit()
    click.echo(f"{user.email} is a member of {investigation.reference}")


@investigations_cli.command("list")
def list_investigations() -> None:
    """One investigation a line: reference, status, member count, title."""
    counts = (
        select(Membership.investigation_id, func.count().label("n"))
        .group_by(Membership.investigation_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Investigation, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.investigation_id == Investigation.id)
        .order_by(Investigation.reference)
    )
    for investigation, members in rows:
        click.echo(
            f"{investigation.reference}\t{investigation.status}\t{members}\t{investigation.title}"
        )


@investigations_cli.command("close")
@click.argument("reference")
def close(reference: str) -> None:
    """Close an investigation (retention rules may count from its closing)."""
    _set_closed(reference, closing.close_investigation, "closed")


@investigations_cli.command("reopen")
@click.argument("reference")
def reopen(reference: str) -> None:
    """Reopen a closed investigation (due dates counted from its closing go away)."""
    _set_closed(reference, closing.reopen_investigation, "reopened")


def _set_closed(reference: str, change, done: str) -> None:
    investigation = services.investigation_by_reference(reference.upper())
    if investigation is None:
        raise click.ClickException(f"No investigation {reference}.")
    try:
        change(investigation)
    except closing.ClosingError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"{investigation.reference} {done}")
