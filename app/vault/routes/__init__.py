"""The vault blueprint with its routes loaded: upload page, tus endpoints, reading pages."""

from app.vault import bp
from app.vault.routes import reading, tus, upload  # noqa: F401

__all__ = ["bp"]
