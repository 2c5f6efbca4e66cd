"""`flask taxonomy ...`: load the shipped weapon and target taxonomies into the database."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from app.intake.services.taxonomy import all_weapons, sync_taxonomies

taxonomy_cli = AppGroup("taxonomy", help="Weapon and target taxonomies (app/taxonomy/*.yaml).")


@taxonomy_cli.command("sync")
def sync() -> None:
    """Add terms of app/taxonomy/*.yaml missing from the database (admins' edits are kept)."""
    added = sync_taxonomies()
    db.session.commit()
    for table, count in added.items():
        click.echo(f"{table}: {count} added")


@taxonomy_cli.command("weapons")
def weapons() -> None:
    """One weapon type a line: code, active or retired, label."""
    for weapon in all_weapons():
        click.echo(f"{weapon.code}\t{'active' if weapon.active else 'retired'}\t{weapon.label}")
