"""Hooks the acquisition record adds: its panel on the item page, its place in a bag's metadata."""

from __future__ import annotations

from app.casefiles.services.item_extras import add_evidence_metadata
from app.provenance.services import export_record
from app.provenance.views import provenance_panel
from app.vault.hooks import add_item_panel


def register_provenance() -> None:
    add_item_panel("provenance", "provenance/_panel.html", provenance_panel)
    add_evidence_metadata("berkeley_protocol", export_record)
