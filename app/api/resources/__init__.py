"""API resources, one module each; importing this package registers their views on the blueprint."""

from app.api import bp
from app.api.resources import (  # noqa: F401
    evidence,
    evidence_links,
    incidents,
    interviews,
    investigations,
    openapi,
    witnesses,
)
from app.api.resources.context import reject_implausible_path_values

bp.before_request(reject_implausible_path_values)
