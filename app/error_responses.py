"""The error answer every layer gives: a page in the site's layout, or JSON under /api/ and tus.

Views and the error handlers (app/errors.py) both answer with `error_response`; it sits low so
that a package's views can use it without importing the handlers, which know every package.
"""

from __future__ import annotations

from flask import jsonify, render_template, request

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
