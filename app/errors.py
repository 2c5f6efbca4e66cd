"""The app's error handlers: every failure answered as a page or as JSON, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, g, make_response
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from app.error_responses import (
    DATABASE_UNAVAILABLE,
    STORE_FULL,
    STORE_UNAVAILABLE,
    UNSTORABLE_INPUT,
    error_response,
)
from app.extensions import db, login_manager
from app.security.rate_limits import refusal_message, retry_after_seconds
from app.vault.blobstore.base import BlobNotFound, BlobStoreError

log = logging.getLogger(__name__)


def install_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        from app.drafts.recovery import recover_refused_form

        recovered = recover_refused_form()  # a form with long writing comes back with it
        if recovered is not None:
            return recovered
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
