"""An incident's particulars: where it happened and who is alleged, sealed together as one value.

The place name, administrative area, coordinates (with their precision) and the alleged
perpetrators locate an incident and name who is accused: they are sealed to the organisation's
recipient like testimony (docs/security.md, "Sealed fields"). They are stored as ONE sealed
value per incident, a JSON object, rather than one per field: lists, the map and the timeline
filter on them in Python after opening them (decrypt-and-filter), so a list of N incidents opens
N values, not five times as many; and a copy of the database shows one length per incident
instead of the length of each place name and each name.

A node without the organisation identity loads the value as the sentence saying so
(`UnreadableText`); its particulars then read as that sentence for the place, and as nothing
else: no area, no coordinates, the sentence again for the perpetrators.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app.intake.name_spelling import spelled_alike
from app.security.field_sealing import UnreadableText

FORMAT = 1  # the "v" key: a later layout can be told apart and read or migrated


@dataclass(frozen=True)
class Particulars:
    place_name: str = ""
    admin_area: str = ""
    latitude: float | None = None
    longitude: float | None = None
    precision_m: int | None = None
    perpetrators: tuple[str, ...] = field(default_factory=tuple)
    readable: bool = True

    def to_text(self) -> str:
        """The plaintext that is sealed: compact JSON, keys sorted, text as written."""
        if not self.readable:
            raise ValueError("the placeholder of unreadable particulars is never stored")
        return json.dumps(
            {
                "v": FORMAT,
                "place_name": self.place_name,
                "admin_area": self.admin_area,
                "latitude": self.latitude,
                "longitude": self.longitude,
                "precision_m": self.precision_m,
                "perpetrators": list(self.perpetrators),
            },
            ensure_ascii=False,
            separators=(",", ":"),
            sort_keys=True,
        )

    @classmethod
    def from_text(cls, text: str | None) -> Particulars:
        """What a stored value says; the sentence alone when this node cannot open it."""
        if text is None:
            return cls()
        if isinstance(text, UnreadableText):
            return cls(place_name=text, perpetrators=(text,), readable=False)
        data: dict[str, Any] = json.loads(text)
        if data.get("v") != FORMAT:
            raise ValueError(f"incident particulars of an unknown layout {data.get('v')!r}")
        return cls(
            place_name=data["place_name"],
            admin_area=data["admin_area"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            precision_m=data["precision_m"],
            perpetrators=tuple(data["perpetrators"]),
        )

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def matches_text(self, term: str) -> bool:
        """The list's free-text search: the term in the place, the area or a perpetrator, or
        one of them spelled alike in either script (app/intake/name_spelling.py)."""
        if not self.readable:
            return False
        return any(
            _means(term, value) for value in (self.place_name, self.admin_area, *self.perpetrators)
        )

    def in_area(self, area: str) -> bool:
        return self.readable and self.admin_area.casefold() == area.casefold()

    def names_perpetrator(self, term: str) -> bool:
        return self.readable and any(_means(term, name) for name in self.perpetrators)


def _means(term: str, value: str) -> bool:
    """A search term found in a value, or naming it in another spelling or script."""
    return bool(value) and (term.casefold() in value.casefold() or spelled_alike(term, value))
