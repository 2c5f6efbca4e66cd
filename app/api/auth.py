"""Bearer-token authentication for the API and for the vault's resumable (tus) upload endpoints.

Requests under /api/ authenticate ONLY with `Authorization: Bearer <token>`: the session
cookie is neither read nor written for them, so a browser that is signed in cannot be made
to call the API by another site (no ambient credential), and CSRF protection, which exists
to stop exactly that, does not apply (the blueprint is exempted in app/api/__init__.py).

The tus endpoints (app/vault/routes/tus.py) serve both the web uploader, signed in with the
session cookie, and API clients. A tus request that carries a bearer token is handled like
an API request (token only, no CSRF); one without keeps the session and its CSRF check, which
this hook makes itself for those two endpoints (they are exempted from Flask-WTF's own hook,
which cannot tell the two kinds apart). Either way the route code sees `current_user`.

One API endpoint takes no token: POST /api/v1/custody/cosign, whose body is a checkpoint
signed by a log key the instance serves as a witness (app/custody/cosign_http.py); the
cookie is still neither read nor written there.

Any request that carries a bearer token is token-only, wherever it goes: on a page that does
not take tokens it is simply not signed in.

A token's user goes through the same gate (app/auth/gate.py) and the same membership rules
as a signed-in person. Failed token checks are rate-limited per client address; a valid
token is never refused for the failures of others at its address.
"""

from __future__ import annotations

from flask import Flask, Request, Response, current_app, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_limiter.util import get_remote_address
from limits import parse
from werkzeug.exceptions import NotFound

from app.api.errors import api_error_response
from app.api.tokens.services import WRITE, TokenCheck, TokenStatus, check_token, record_use
from app.extensions import csrf, db, limiter, login_manager
from config import ConfigurationError

API_PATH_PREFIX = "/api/"
# Phone apps' OpenRosa endpoints (app/openrosa/auth.py): HTTP Basic device credentials only,
# so, like the API, no cookie session is opened or sent there.
COOKIELESS_PREFIXES = (API_PATH_PREFIX, "/openrosa/")
# Vault endpoints that also accept a token (the tus upload protocol, for API clients).
TOKEN_UPLOAD_ENDPOINTS = frozenset({"vault.tus_create", "vault.tus_upload"})
# Endpoints whose request body authenticates itself (a checkpoint signed by a log key the
# witness serves, app/api/routes/custody_witness.py): no token, and still no cookie.
SIGNED_BODY_ENDPOINTS = frozenset({"api.custody_cosign"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FAILURE_KEY = "api-token-failure"
CHALLENGE = 'Bearer realm="custos"'


def install_token_auth(app: Flask) -> None:
    """Register the hook; call after the blueprints, before the sign-in gate's hooks."""
    try:
        parse(app.config["CUSTOS_API_AUTH_FAILURE_LIMIT"])
    except ValueError as exc:
        raise ConfigurationError(
            "CUSTOS_API_AUTH_FAILURE_LIMIT must look like '10 per minute', got "
            f"{app.config['CUSTOS_API_AUTH_FAILURE_LIMIT']!r}"
        ) from exc
    for endpoint in TOKEN_UPLOAD_ENDPOINTS:
        view = app.view_functions.get(endpoint)
        if view is None:
            # Fail at start-up rather than silently leave API clients without resumable uploads.
            raise RuntimeError(f"{endpoint} is not registered; update TOKEN_UPLOAD_ENDPOINTS")
        csrf.exempt(view)  # its CSRF check moves into authenticate_request, for cookie requests
    if type(app.session_interface) is not SecureCookieSessionInterface:
        raise RuntimeError("install_token_auth expects Flask's default session interface")
    app.session_interface = TokenAwareSessionInterface()
    app.before_request(authenticate_request)


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer` header (RFC 6750 §2.1), None without one."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def is_token_request(request: Request) -> bool:
    """Whether this request authenticates with a token only (decided before any routing)."""
    scheme = request.headers.get("Authorization", "").partition(" ")[0]
    return request.path.startswith(COOKIELESS_PREFIXES) or scheme.lower() == "bearer"


def authenticate_request():
    """Decide how this request authenticates; a response here ends the request."""
    if request.path.startswith(API_PATH_PREFIX):
        if isinstance(request.routing_exception, NotFound):
            return None  # no such address: 404 whoever asks, and nothing is revealed
        if request.endpoint in SIGNED_BODY_ENDPOINTS:
            return None
        return _authenticate_with_token_only()
    if request.endpoint in TOKEN_UPLOAD_ENDPOINTS:
        if bearer_token() is not None:
            return _authenticate_with_token_only()
        _protect_cookie_request()
    return None


def _protect_cookie_request() -> None:
    """Flask-WTF's own before_request check, made here for the exempted upload endpoints."""
    config = current_app.config
    if config.get("WTF_CSRF_ENABLED", True) and config.get("WTF_CSRF_CHECK_DEFAULT", True):
        csrf.protect()


def _authenticate_with_token_only():
    secret = bearer_token()
    if secret is None:
        return _unauthorized(
            "token_missing", "Send a personal API token: Authorization: Bearer <token>."
        )
    # The token is checked first (a SHA-256 and one indexed lookup) and only failures are
    # counted: colleagues sharing an office router or a mobile carrier's address keep working
    # whatever wrong tokens others send from it; only the senders of wrong tokens wait.
    check = check_token(secret)
    if check.status is not TokenStatus.OK:
        if _failures_exceeded():
            return api_error_response(
                429,
                "rate_limited",
                "Too many requests with a wrong token from this address. Wait a minute.",
                headers={"Retry-After": "60"},
            )
        _count_failure()
        return _refusal(check)
    if request.method not in READ_METHODS and WRITE not in check.token.scopes:
        return api_error_response(
            403,
            "insufficient_scope",
            "This token may only read. Make a token with the read and write scope to change "
            "records.",
            headers={"WWW-Authenticate": f'{CHALLENGE}, error="insufficient_scope"'},
        )
    if record_use(check.token):
        db.session.commit()
    g.api_token = check.token
    # The token's user and no one else's, whatever cookies came along (a remember-me cookie
    # would otherwise take precedence over a request loader in Flask-Login).
    login_manager._update_request_context_with_user(check.user)
    return None


def _refusal(check: TokenCheck):
    if check.status is TokenStatus.EXPIRED:
        return _unauthorized("token_expired", "This token has expired. Make a new one.")
    if check.status is TokenStatus.SECOND_FACTOR_MISSING:
        return api_error_response(
            403, "2fa_required", "Enroll a second factor on the website before using the API."
        )
    return _unauthorized("invalid_token", "This token is not valid (unknown or revoked).")


def _unauthorized(code: str, message: str):
    header = CHALLENGE if code == "token_missing" else f'{CHALLENGE}, error="invalid_token"'
    return api_error_response(401, code, message, headers={"WWW-Authenticate": header})


class _TokenRequestSession(SecureCookieSession):
    """The empty session of a token-authenticated request; never saved."""


class TokenAwareSessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session, except for requests that authenticate with a bearer token.

    Those (everything under /api/, and any request that carries `Authorization: Bearer`) get
    an empty session and send no cookie back: the browser's session cookie, if one came
    along, neither authenticates them nor is idle-timed-out or refreshed by them (the gate
    writes `last_seen` into the session of every signed-in request).

    A static file's answer sends no session cookie back either. It would write back the session
    the request read, and a stylesheet asked for before the sign-in form was sent but answered
    after it would put the signed-out session back over the one the sign-in had just made (the
    next page then asks to sign in again). A signed-out browser's session is rewritten on every
    request, by Flask-Login's "strong" protection, so each of them would.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if is_token_request(request):
            return _TokenRequestSession()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if isinstance(session, _TokenRequestSession) or request.endpoint == "static":
            return
        super().save_session(app, session, response)


def _failure_limit():
    return parse(current_app.config["CUSTOS_API_AUTH_FAILURE_LIMIT"])


def _failures_exceeded() -> bool:
    if not limiter.enabled:
        return False
    return not limiter.limiter.test(_failure_limit(), FAILURE_KEY, get_remote_address())


def _count_failure() -> None:
    if limiter.enabled:
        limiter.limiter.hit(_failure_limit(), FAILURE_KEY, get_remote_address())
