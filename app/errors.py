"""Error pages in the site's layout (JSON under /api/), never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, make_response, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from app.extensions import db, login_manager
from app.security.rate_limits import refusal_message, retry_after_seconds
from app.vault.blobstore.base import BlobNotFound, BlobStoreError

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be understood. Go back, check what you entered and try again.",
    401: "Sign in to continue.",
    403: "Your account is not allowed to do this.",
    404: "There is nothing here, or you do not have access to it.",
    405: "This address does not accept that kind of request.",
    413: "The upload is larger than this server accepts.",
    423: "This account is locked.",
    429: "Too many attempts. Wait a minute and try again.",
    500: "Something went wrong on our side. Nothing you sent was half-stored; try again.",
    503: "The service is temporarily unavailable. Try again in a moment.",
    507: "The evidence store is full, so nothing was stored. Tell your administrator.",
}

# The blob store refused a write (app/vault/blobstore): full (507) or read-only / away (503).
STORE_FULL = (
    "The evidence store is full, so this file was not stored (nothing of it was kept). "
    "Tell your administrator; try again once space has been freed."
)
STORE_UNAVAILABLE = (
    "The evidence store cannot take files right now (it is read-only or unreachable), so "
    "this file was not stored (nothing of it was kept). Try again later or tell your "
    "administrator."
)
DATABASE_UNAVAILABLE = (
    "The database is not answering, so nothing was saved. Try again in a moment; if it "
    "persists, tell your administrator."
)


# Stable string codes for JSON errors under /api/ (app/api/errors.py documents the shape).
API_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "validation_failed",
    423: "locked",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
    507: "storage_full",
}


UNSTORABLE_INPUT = (
    "Something you sent cannot be stored (for example a NUL character). "
    "Check what you entered and try again."
)


def error_response(code: int, message: str | None = None, api_code: str | None = None):
    message = message or MESSAGES.get(code, "Error")
    # JSON for the API and for tus clients (they read the same {"error": ...} shape).
    if request.path.startswith("/api/") or request.headers.get("Tus-Resumable"):
        body = {"code": api_code or API_CODES.get(code, "error"), "message": message}
        return jsonify(error=body), code
    return render_template("errors/error.html", code=code, message=message), code


def install_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(
            400, "The form expired or was not sent from this site. Reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        if code >= 500:
            db.session.rollback()
        response = make_response(error_response(code))
        # The exception's own headers (Allow on 405, Retry-After on 429/503), not its body's.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(exc: RateLimitExceeded):
        # The limit's own words (app/security/rate_limits.py) and when to come back.
        response = make_response(error_response(429, refusal_message(exc)))
        response.headers["Retry-After"] = str(retry_after_seconds())
        return response

    @app.errorhandler(DataError)
    def unstorable_input(exc: DataError):
        # Input the database cannot hold (a NUL byte in text on PostgreSQL, a number beyond
        # its column) that a form or schema let through: the sender's fault, nothing stored.
        db.session.rollback()
        log.warning("refused unstorable input: %s", type(exc.orig).__name__)
        return error_response(400, UNSTORABLE_INPUT)

    @app.errorhandler(DBAPIError)
    def database_unavailable(exc: DBAPIError):
        if not isinstance(exc, OperationalError) and not exc.connection_invalidated:
            return unexpected(exc)  # a failed statement, not a database that went away
        try:
            db.session.rollback()
        except DBAPIError:
            db.session.close()  # the connection is gone with the database; the pool drops it
        log.error("database error: %s", type(exc).__name__)
        # The page must render without the database: the signed-in person's row, expired by
        # the rollback, cannot be reloaded now, so this one page is drawn as for a visitor.
        g._login_user = login_manager.anonymous_user()
        return error_response(ServiceUnavailable.code, DATABASE_UNAVAILABLE)

    @app.errorhandler(BlobStoreError)
    def blob_store_unavailable(exc: BlobStoreError):
        if isinstance(exc, BlobNotFound):
            return unexpected(exc)  # a missing object is not the store refusing writes
        db.session.rollback()
        # The store's own words (an OS error string, no path or key) for the operator.
        log.error("blob store refused a write: %s", exc)
        if exc.full:
            return error_response(507, STORE_FULL, "storage_full")
        return error_response(ServiceUnavailable.code, STORE_UNAVAILABLE, "storage_unavailable")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        db.session.rollback()
        # Log the type and place, not the message: messages may quote user input.
        log.exception("unhandled %s", type(exc).__name__)
        return error_response(InternalServerError.code)
