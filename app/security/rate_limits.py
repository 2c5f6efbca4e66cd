"""Per-person limits on costly requests (uploads, tus PATCHes, exports, API writes): ASVS V2.4.1.

Credential checks are limited per client address where they are made (app/auth/routes.py,
app/api/auth.py). The limits here guard work and garbage instead: each counts the requests
of one person (the signed-in user, or the user of the API token), falling back to the client
address for a request that has neither, so colleagues behind one office router do not
share a budget. The numbers live in config.py (CUSTOS_*_RATE_LIMIT, Flask-Limiter syntax)
and are read per request. Every check runs before the view does any work, so a refused
request stores nothing; app/errors.py answers it with 429, the limit's own message and
Retry-After (JSON for the API and for tus clients, the error page otherwise).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import current_app, request
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user

from app.extensions import limiter

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Used when the storage cannot say when the window ends (it always can for fixed windows).
FALLBACK_RETRY_AFTER_SECONDS = 60

TUS_CREATE_MESSAGE = (
    "Too many uploads were started from your account in the last minute, so this one was not "
    "created. Wait a minute and try again."
)
TUS_PATCH_MESSAGE = (
    "Too many pieces of upload were sent from your account in the last minute. Everything "
    "received so far is kept: wait a minute, then resume the upload."
)
UPLOAD_MESSAGE = (
    "Too many uploads were sent from your account in the last minute, so nothing of this "
    "one was stored. Wait a minute and send it again."
)
EXPORT_MESSAGE = (
    "Too many exports were started from your account in the last hour, so this one was not "
    "started. Exports already started carry on; wait a while before starting another."
)
API_WRITE_MESSAGE = (
    "Too many changes were sent with your account in the last minute, so this request "
    "changed nothing. Wait a minute (see Retry-After) and send it again."
)


def person_key() -> str:
    """Whose budget a request spends: the signed-in or token user, else the client address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"address:{get_remote_address()}"


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _started(response) -> bool:
    """An export counts once it started: the form redirects to its status page."""
    return response.status_code in (302, 303)


# Each decorator goes under the route (and under role_required), so it runs after the sign-in
# gate and the token check have decided who is asking, and before the view reads the body.
tus_create_limit = limiter.limit(
    _setting("CUSTOS_TUS_CREATE_RATE_LIMIT"),
    key_func=person_key,
    methods=["POST"],
    error_message=TUS_CREATE_MESSAGE,
)
tus_patch_limit = limiter.limit(
    _setting("CUSTOS_TUS_PATCH_RATE_LIMIT"),
    key_func=person_key,
    methods=["PATCH"],
    error_message=TUS_PATCH_MESSAGE,
)
# One budget for whole-file uploads, whichever way they come (the web form or the API).
upload_limit = limiter.shared_limit(
    _setting("CUSTOS_UPLOAD_RATE_LIMIT"),
    scope="evidence-upload",
    key_func=person_key,
    methods=["POST"],
    error_message=UPLOAD_MESSAGE,
)
# Starting an export and trying a failed one again share one budget; only starts count.
export_limit = limiter.shared_limit(
    _setting("CUSTOS_EXPORT_RATE_LIMIT"),
    scope="casefile-export",
    key_func=person_key,
    methods=["POST"],
    deduct_when=_started,
    error_message=EXPORT_MESSAGE,
)
_api_write_limit = limiter.shared_limit(
    _setting("CUSTOS_API_WRITE_RATE_LIMIT"),
    scope="api-write",
    key_func=person_key,
    error_message=API_WRITE_MESSAGE,
)


def limit_api_writes() -> None:
    """The API blueprint's before_request: one budget for every write, whichever endpoint.

    A blueprint hook runs after the app's (app/api/auth.py has found the token's user by
    then); a limit decorating the blueprint would be checked before that, by address alone.
    """
    if request.method in READ_METHODS or not current_user.is_authenticated:
        return
    with _api_write_limit:
        pass


def refusal_message(exc: RateLimitExceeded) -> str | None:
    """The limit's own message, or None for limits that have none (the generic 429 text)."""
    return exc.description if exc.limit.error_message else None


def retry_after_seconds() -> int:
    """Seconds until the breached limit's window ends, for the Retry-After header."""
    breached = limiter.current_limit
    if breached is None:
        return FALLBACK_RETRY_AFTER_SECONDS
    return max(1, math.ceil(breached.reset_at - time.time()))
