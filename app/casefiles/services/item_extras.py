"""What packages above the case files add to each evidence item's metadata.json in a bag."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# (item, with_identity) -> a JSON-ready value, put under `name` in the item's metadata.
EvidenceMetadata = Callable[[Any, bool], Any]

_extras: dict[str, EvidenceMetadata] = {}


def add_evidence_metadata(name: str, make: EvidenceMetadata) -> None:
    _extras[name] = make


def evidence_extras(item: Any, with_identity: bool) -> dict[str, Any]:
    return {name: make(item, with_identity) for name, make in _extras.items()}
