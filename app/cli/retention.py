"""`flask retention run`: list what the retention rules have brought due, and what holds keep."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db

retention_cli = AppGroup("retention", help="Retention rules, legal holds and disposition.")


@retention_cli.command("run")
def run_command() -> None:
    """List every item (or witness identity) a rule has brought due; held ones are marked."""
    from app.retention.due import due_items

    listed = due_items()
    db.session.commit()  # the ledger's "disposition blocked" entries, if any
    for due in listed:
        line = (
            f"{due.investigation} {due.subject} {due.label}: {due.action} "
            f"(due {due.due_at:%Y-%m-%d})"
        )
        if due.held_by:
            line += " HELD by " + "; ".join(due.held_by)
        click.echo(line)
    held = sum(1 for due in listed if due.held_by)
    click.echo(f"total: {len(listed)} item(s) due, {held} held by a legal hold")
