"""API routes, one module per resource and one for tokens; importing them registers them."""

from app.api import bp
from app.api.routes import (  # noqa: F401
    custody_witness,
    evidence,
    evidence_acquisition,
    evidence_links,
    incidents,
    interviews,
    investigations,
    openapi,
    tokens,
    witnesses,
)
from app.api.routes.context import reject_implausible_path_values

bp.before_request(reject_implausible_path_values)
