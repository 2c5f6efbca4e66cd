"""What intake pages share: query-string links, page numbers, vault links.

Every intake view starts from `app.investigations.viewer.viewer_for(reference)`.
"""

from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_wtf import FlaskForm


def query_of(form: FlaskForm) -> dict[str, str]:
    """The form's own non-empty values from the query string, to carry into links.

    Only the form's field names: passing request.args wholesale to url_for would let a
    crafted link set url_for's own options (_scheme, _anchor, _external).
    """
    names = [field.name for field in form]
    return {
        name: request.args[name]
        for name in names
        if request.args.get(name) and len(request.args[name]) <= 200
    }


def page_number() -> int:
    return request.args.get("page", 1, type=int) or 1


def vault_links(reference: str) -> dict[str, str | None]:
    """Links to the vault's upload page and item pages, where the vault provides them."""
    views = current_app.view_functions
    return {
        "upload_url": url_for("vault.upload_evidence", reference=reference)
        if "vault.upload_evidence" in views
        else None,
        "vault_item_endpoint": "vault.evidence_item" if "vault.evidence_item" in views else None,
    }


def receipt_list_page(viewer, listing, note: str | None = None):
    """A list on an intake-only node: its receipts (app/intake/receipt_lists.py)."""
    return render_template(
        "intake/receipts/list.html", investigation=viewer.investigation, listing=listing, note=note
    )
