"""JSON API under /api/v1 for field clients: resources, personal tokens, OpenAPI, JSON errors.

Every request is authenticated by a personal API token alone (app/api/auth.py), never by the
session cookie. CSRF attacks work by making a browser send its ambient credential (the
cookie) to us from another site; a bearer token is not ambient (a browser never adds an
Authorization header by itself, and no CORS policy lets another site add one), so there is
nothing for CSRF protection to protect here and the blueprint is exempt from it. That holds
only because app/api/auth.py refuses the cookie for these paths: the two go together.
"""

from flask import Blueprint

from app.extensions import csrf
from app.security.rate_limits import limit_api_writes

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(limit_api_writes)  # after the app's hooks: the token's user is known

from app.api import routes  # noqa: E402,F401
from app.api.errors import install_api_error_handlers  # noqa: E402

install_api_error_handlers(bp)
