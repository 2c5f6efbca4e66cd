"""Flask CLI command groups (users, investigations, ...), registered on the app."""

from flask import Flask


def register_cli(app: Flask) -> None:
    from app.cli.investigations import investigations_cli
    from app.cli.users import users_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(investigations_cli)
