"""WSGI entry point: `app = create_app()` and nothing more."""

from app import create_app

app = create_app()
