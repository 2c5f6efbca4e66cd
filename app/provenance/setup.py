"""Hooks the capture-proof checks (C2PA, ProofMode) and the WACZ key registry add to
processing, the item page and the consistency checks (what a proof claims, compared like the
file's own facts)."""

from __future__ import annotations

from app.consistency.claims import add_claim_source
from app.provenance.claims import provenance_claims
from app.provenance.services import provenance_step
from app.provenance.views import provenance_panel
from app.provenance.wacz_keys import wacz_key_panel
from app.vault.hooks import add_item_panel, on_evidence_processed


def register_provenance() -> None:
    on_evidence_processed("provenance_check", provenance_step)
    add_item_panel("provenance", "provenance/_panel.html", provenance_panel)
    add_claim_source("provenance", provenance_claims)
    add_item_panel("wacz_key", "provenance/_wacz_key_panel.html", wacz_key_panel)
