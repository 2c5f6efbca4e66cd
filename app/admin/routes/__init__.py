"""Admin pages, one module per area; importing this package registers their views."""

from app.admin.routes import (  # noqa: F401
    approvals,
    audit,
    fixity,
    frameworks,
    investigations,
    labels,
    sealed_submissions,
    taxonomy,
    users,
)
