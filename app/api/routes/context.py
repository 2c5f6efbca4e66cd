"""What every API view of an investigation passes first: path values a query could choke on.

The investigation and the viewer come from `app.investigations.viewer.viewer_for(reference)`.
"""

from __future__ import annotations

import re

from flask import abort, request

# Path values that no id, code or reference can be (too long, or holding control characters,
# which PostgreSQL refuses outright) answer 404 before they reach a query.
_PLAUSIBLE_PATH_VALUE = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")


def reject_implausible_path_values() -> None:
    """A blueprint before_request: runs after authentication, so strangers still get 401."""
    for value in (request.view_args or {}).values():
        if not isinstance(value, str) or not _PLAUSIBLE_PATH_VALUE.match(value):
            abort(404)
