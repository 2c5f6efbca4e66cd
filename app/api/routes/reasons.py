"""The reason an API request states for a sensitive read (X-Access-Reason), or a 400."""

from __future__ import annotations

from flask import request

from app.accesslog.reasons import Reason, ReasonRefused, reason_from_header
from app.api.errors import ApiError

HEADER = "X-Access-Reason"


def api_reason() -> Reason | None:
    """The stated reason; None when the request states none; ApiError 400 when unreadable."""
    try:
        return reason_from_header(request.headers.get(HEADER))
    except ReasonRefused as exc:
        raise ApiError(400, "bad_access_reason", str(exc)) from None
