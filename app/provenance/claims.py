"""The capture time and place a C2PA manifest or a ProofMode proof claims, read from the item's
latest capture-proof check that read any, in the consistency checks' terms.

A manifest's EXIF assertion gives its position as XMP GPSCoordinate text ("36,12.125N",
"36,12,7.5N"; XMP Specification Part 2, 1.2.7.4) and may give its time in EXIF's own
"2016:04:27 10:15:00" form; a ProofMode proof gives decimal degrees, the fix's accuracy in
metres (`Location.Accuracy`) and ISO 8601 times. A check that found no proof (`none`) or could
not read it claims nothing.
"""

from __future__ import annotations

import json
import re
from typing import Any

from app.consistency.claims import ProofClaims
from app.consistency.facts import Moment, Place, parse_moment, parse_place
from app.provenance.c2pa_reading import COULD_NOT_CHECK, NONE
from app.provenance.services import C2PA, checks_of
from app.vault.models import EvidenceItem

_XMP_COORDINATE = re.compile(
    r"^\s*(\d{1,3}),(\d{1,2}(?:\.\d+)?)(?:,(\d{1,2}(?:\.\d+)?))?\s*([NSEW])\s*$", re.IGNORECASE
)
_EXIF_DATE = re.compile(r"^(\d{4}):(\d{2}):(\d{2})([ T])")


def provenance_claims(item: EvidenceItem) -> list[ProofClaims]:
    """The claims of the newest check that read a proof, or none."""
    for check in checks_of(item):
        if check.verdict in (NONE, COULD_NOT_CHECK):
            continue
        document = json.loads(check.result)
        claimed = document.get("claimed") or {}
        if check.kind == C2PA:
            accuracy = None
        else:
            accuracy = (document.get("proof") or {}).get("Location.Accuracy")
        return [
            ProofClaims(
                check.kind,
                check.id,
                check.verdict,
                claimed_moment(claimed.get("capture_time")),
                claimed_place(claimed.get("place"), accuracy),
            )
        ]
    return []


def claimed_moment(text: Any) -> Moment | None:
    if isinstance(text, str):
        text = _EXIF_DATE.sub(r"\1-\2-\3T", text.strip(), count=1)
    return parse_moment(text)


def claimed_place(place: Any, accuracy: Any = None) -> Place | None:
    if not isinstance(place, list | tuple) or len(place) != 2:
        return None
    latitude, longitude = coordinate(place[0]), coordinate(place[1])
    return parse_place(
        {"latitude": latitude, "longitude": longitude, "accuracy_m": _number(accuracy)}
    )


def coordinate(value: Any) -> float | None:
    """Decimal degrees from a number, decimal text or XMP GPSCoordinate text."""
    number = _number(value)
    if number is not None:
        return number
    found = _XMP_COORDINATE.match(str(value))
    if not found:
        return None
    degrees, minutes, seconds, hemisphere = found.groups()
    if float(minutes) >= 60 or float(seconds or 0) >= 60:
        return None
    value = int(degrees) + float(minutes) / 60 + float(seconds or 0) / 3600
    return -value if hemisphere.upper() in "SW" else value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None
