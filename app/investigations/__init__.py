"""Investigations blueprint: the member's view of their investigations."""

from flask import Blueprint

bp = Blueprint("investigations", __name__)

from app.investigations import routes  # noqa: E402,F401
