"""Drafts of long writing: kept on the server as the person types, restored after a lost session.

Modules: models (the encrypted `drafts` table), service (keep, read, discard, purge), forms
(which form a draft belongs to: the view's declared fields, keyed by the form's action),
routes (POST /drafts, the endpoint static/js/drafts.js calls), recovery (a form refused for an
expired CSRF token comes back with its text), jobs (expired drafts deleted by the worker).
"""

from flask import Blueprint

bp = Blueprint("drafts", __name__)

from app.drafts import routes  # noqa: E402,F401
