"""The vault blueprint with its routes loaded: intake page, tus endpoints, reading pages."""

from app.vault import bp, routes_intake, routes_reading, routes_tus  # noqa: F401

__all__ = ["bp"]
