"""Admin blueprint: accounts, investigation membership and the security audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import routes  # noqa: E402,F401
