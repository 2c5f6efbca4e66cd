"""What a capture proof claims about a capture (a C2PA manifest, a ProofMode proof), as the
consistency checks compare it: the packages that verify proofs register a source here.

The consistency package sits beside app/provenance, which already reads the consistency
checks for its exports; a source registered at start-up (app/provenance/setup.py) lets the
checks read the proofs' claims without importing that package back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.consistency.facts import Moment, Place

if TYPE_CHECKING:
    from app.vault.models import EvidenceItem


@dataclass(frozen=True)
class ProofClaims:
    """The capture time and place one proof claims, with the check that read them: a claim
    from a manifest judged invalid is still compared, and its verdict travels with it."""

    source: str  # "c2pa" or "proofmode"
    check_id: str
    verdict: str
    time: Moment | None
    place: Place | None


ClaimSource = Callable[["EvidenceItem"], list[ProofClaims]]
_sources: dict[str, ClaimSource] = {}


def add_claim_source(name: str, source: ClaimSource) -> None:
    _sources[name] = source


def claims_for(item: EvidenceItem) -> list[ProofClaims]:
    """Every claim the item's proofs make, source by source in registration order."""
    return [claim for source in _sources.values() for claim in source(item)]
