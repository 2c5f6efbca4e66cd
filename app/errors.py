"""Error pages in the site's layout (JSON under /api/), never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from app.extensions import db

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
}


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
}


def error_response(code: int, message: str | None = None):
    message = message or MESSAGES.get(code, "Error")
    if request.path.startswith("/api/"):
        return jsonify(error={"code": API_CODES.get(code, "error"), "message": message}), code
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

    @app.errorhandler(OperationalError)
    def database_unavailable(exc: OperationalError):
        db.session.rollback()
        log.error("database error: %s", type(exc).__name__)
        return error_response(ServiceUnavailable.code)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        db.session.rollback()
        # Log the type and place, not the message: messages may quote user input.
        log.exception("unhandled %s", type(exc).__name__)
        return error_response(InternalServerError.code)
