"""Refusing access: log who was refused what kind of thing where (ASVS V16.3.2), then abort.

The line names the user's id, the route pattern and a fixed reason, never the object's id,
reference or any content, so repeated probing of other investigations shows in the logs
without the logs learning what was probed for.
"""

from __future__ import annotations

import logging
from typing import NoReturn

from flask import abort, has_request_context, request
from flask_login import current_user

log = logging.getLogger("custos.security")


def refuse(status: int, reason: str) -> NoReturn:
    """Log an authorization refusal and answer `status` (404 hides existence, 403 a role)."""
    if has_request_context():
        log.warning(
            "access refused",
            extra={
                "event": "access.refused",
                "reason": reason,
                "status": status,
                "method": request.method,
                "path": request.url_rule.rule if request.url_rule else "<unmatched>",
                "user_id": getattr(current_user, "id", None),
            },
        )
    abort(status)
