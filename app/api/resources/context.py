"""What every API view starts from: the investigation (404 for non-members) and the viewer."""

from __future__ import annotations

import re

from flask import abort, request
from flask_login import current_user

from app.intake.visibility import IntakeViewer, intake_viewer
from app.investigations.access import investigation_by_reference_or_404

# Path values that no id, code or reference can be (too long, or holding control characters,
# which PostgreSQL refuses outright) answer 404 before they reach a query.
_PLAUSIBLE_PATH_VALUE = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")


def reject_implausible_path_values() -> None:
    """A blueprint before_request: runs after authentication, so strangers still get 401."""
    for value in (request.view_args or {}).values():
        if not isinstance(value, str) or not _PLAUSIBLE_PATH_VALUE.match(value):
            abort(404)


def viewer_for(reference: str) -> IntakeViewer:
    investigation = investigation_by_reference_or_404(reference, current_user)
    return intake_viewer(investigation, current_user)
