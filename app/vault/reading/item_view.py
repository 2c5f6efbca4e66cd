"""The item page's view of an evidence item: client-reported and extracted facts, kept apart."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app.vault.models import Derivative, DerivativeKind, EvidenceItem


@dataclass(frozen=True)
class FactRow:
    """One fact as each source states it; either side may be missing. Never merged."""

    label: str
    client: str | None
    extracted: str | None


@dataclass
class ItemView:
    """The item page's data: database facts, the two metadata sources apart, derivatives."""

    item: EvidenceItem
    filename: str
    client_facts: dict[str, Any] | None
    extracted: dict[str, Any] | None
    derivatives: list[Derivative] = field(default_factory=list)
    facts_visible: bool = True  # file name and capture facts are identity (docs/security.md)

    @property
    def thumbnail(self) -> Derivative | None:
        return next((d for d in self.derivatives if d.kind == DerivativeKind.THUMBNAIL), None)

    @property
    def extracted_fields(self) -> dict[str, Any]:
        return (self.extracted or {}).get("fields") or {}

    @property
    def comparison(self) -> list[FactRow]:
        return compare_facts(self.client_facts or {}, self.extracted_fields)

    @property
    def client_rows(self) -> list[tuple[str, str]]:
        return flatten_facts(self.client_facts or {})

    @property
    def extracted_rows(self) -> list[tuple[str, str]]:
        return flatten_facts(self.extracted_fields)


def _first(facts: dict[str, Any], *names: str) -> Any:
    return next((facts[n] for n in names if facts.get(n) not in (None, "", {})), None)


def _position(value: Any, facts: dict[str, Any]) -> str | None:
    if isinstance(value, dict):
        lat = _first(value, "latitude", "lat")
        lon = _first(value, "longitude", "lon", "lng")
    else:
        lat = _first(facts, "latitude", "lat")
        lon = _first(facts, "longitude", "lon", "lng")
    if lat is None or lon is None:
        return None if value is None else str(value)
    accuracy = value.get("accuracy_m") if isinstance(value, dict) else None
    text = f"{lat}, {lon}"
    return f"{text} (± {accuracy} m)" if accuracy is not None else text


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def compare_facts(client: dict[str, Any], extracted: dict[str, Any]) -> list[FactRow]:
    """Capture time, place and device as the client reported them and as the file states them."""
    extracted_time = _first(extracted, "captured_at", "created_at")
    if extracted_time and extracted.get("captured_at_offset"):
        extracted_time = f"{extracted_time} {extracted['captured_at_offset']}"
    device = " ".join(str(extracted[k]) for k in ("make", "model") if extracted.get(k)) or None
    return [
        FactRow(
            "Capture time",
            _text(_first(client, "captured_at", "device_time", "capture_time", "time")),
            _text(extracted_time),
        ),
        FactRow(
            "Location",
            _position(_first(client, "gps", "location", "position"), client),
            _position(extracted.get("gps"), {}),
        ),
        FactRow("Device", _text(_first(client, "device", "device_model")), device),
        FactRow("Captured by", _text(_first(client, "captured_by", "who_captured")), None),
    ]


def flatten_facts(facts: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Nested facts as ("gps.latitude", "36.2") rows, in a stable order."""
    rows: list[tuple[str, str]] = []
    for key in sorted(facts):
        value = facts[key]
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(flatten_facts(value, name + "."))
        elif isinstance(value, list):
            rows.append((name, ", ".join(json.dumps(v, ensure_ascii=False) for v in value)))
        else:
            rows.append((name, str(value)))
    return rows


def parsed_facts(text: str | None) -> dict[str, Any]:
    """Stored facts (JSON) as a dict; empty when absent or unreadable."""
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def capture_time(item: EvidenceItem) -> str | None:
    """When the item was captured, as the file states it, else as the client reported it.

    Identity information (docs/security.md): only for a viewer holding the identity grant.
    """
    extracted = parsed_facts(item.extracted_metadata).get("fields") or {}
    first = compare_facts(parsed_facts(item.client_facts), extracted)[0]
    value = first.extracted or first.client
    return value.replace("T", " ")[:40] if value else None
