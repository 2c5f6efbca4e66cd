"""Admin blueprint: accounts, investigation membership and the security audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import (  # noqa: E402,F401
    routes_approvals,
    routes_audit,
    routes_fixity,
    routes_frameworks,
    routes_investigations,
    routes_taxonomy,
    routes_users,
)
