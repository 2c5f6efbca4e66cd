"""`flask db intake-role`: print or apply the GRANTs of an intake node's database role."""

from __future__ import annotations

import click
from sqlalchemy import text

from app.extensions import db
from app.security.intake_role import intake_role_statements


@click.command("intake-role")
@click.option("--name", required=True, help="The role's name, e.g. custos_intake.")
@click.option("--schema", default="public", show_default=True, help="The schema Custos uses.")
@click.option(
    "--create",
    is_flag=True,
    help="Also CREATE the role (with --apply), its password read from the terminal.",
)
@click.option(
    "--apply", "apply_", is_flag=True, help="Run the statements here (as the schema's owner)."
)
def intake_role_command(name: str, schema: str, create: bool, apply_: bool) -> None:
    """Print (or --apply) the SQL that gives an intake node's role exactly what intake needs."""
    if create and not apply_:
        # The password would be printed: never put a secret on a terminal or in a log.
        raise click.ClickException("--create goes with --apply (it never prints the password)")
    password = None
    if create:
        password = click.prompt("Password for the role", hide_input=True, confirmation_prompt=True)
    try:
        statements = intake_role_statements(name, schema, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if not apply_:
        for statement in statements:
            click.echo(statement + ";")
        return
    if db.engine.dialect.name != "postgresql":
        raise click.ClickException("database roles are a PostgreSQL feature; SQLite has none")
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    click.echo(f"Role {name} may now run an intake node on schema {schema}.")
