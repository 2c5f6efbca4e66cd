"""Hooks the acquisition record adds: its panel on the item page, its place in a bag's metadata."""

from __future__ import annotations

from app.acquisition.services import export_record
from app.acquisition.views import acquisition_panel
from app.casefiles.services.item_extras import add_evidence_metadata
from app.vault.hooks import add_item_panel


def register_acquisition() -> None:
    add_item_panel("acquisition", "acquisition/_panel.html", acquisition_panel)
    add_evidence_metadata("berkeley_protocol", export_record)
