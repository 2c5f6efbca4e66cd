"""Lists on an intake-only node, as the API answers them: receipts read from key columns only
(app/intake/receipt_lists.py), never a name, a place or testimony; filters cannot apply there."""

from __future__ import annotations

from typing import Any

from app.api.pagination import PageRequest, paginated
from app.intake.receipt_lists import ReceiptList


def receipt_page(listing: ReceiptList) -> dict[str, Any]:
    """One page of receipts: id, label, when received, and the bytes stored per sealed field."""
    page = listing.page
    items = [
        {
            "id": row["id"],
            "label": str(row["label"]),
            "received_at": row["received_at"],
            "receipt": {"fields": row["fields"]},
        }
        for row in page.items
    ]
    return paginated(items, page.total, PageRequest(page=page.page, per_page=page.per_page))
