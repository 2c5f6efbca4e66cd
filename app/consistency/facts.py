"""Times, places and incident windows read from stored JSON and rows, for the comparison."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

EARTH_RADIUS_M = 6_371_008.8
_COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Moment:
    """A time as a source gives it: `zoned` when it names its offset (or UTC)."""

    value: datetime  # naive: wall-clock when not zoned, UTC when zoned
    zoned: bool
    text: str


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float
    accuracy_m: float | None = None


def parse_moment(text: Any, offset: Any = None) -> Moment | None:
    """ISO 8601 text; with a separate EXIF offset ("+03:00") when the file gives one."""
    if not isinstance(text, str) or not text.strip():
        return None
    raw = text.strip()
    candidate = raw.replace("Z", "+00:00")
    if isinstance(offset, str) and re.fullmatch(r"[+-]\d{2}:\d{2}", offset.strip()):
        candidate += offset.strip()
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            return None
    if moment.tzinfo is None:
        return Moment(moment, False, raw)
    return Moment((moment - moment.utcoffset()).replace(tzinfo=None), True, raw)


def parse_place(value: Any, facts: dict[str, Any] | None = None) -> Place | None:
    """{"latitude", "longitude"}, or "36.2021, 37.1343" text; None for a description."""
    if isinstance(value, dict):
        lat, lon = value.get("latitude"), value.get("longitude")
        accuracy = value.get("accuracy_m")
    elif isinstance(value, str):
        found = _COORDINATES.match(value)
        if not found:
            return None
        lat, lon, accuracy = float(found.group(1)), float(found.group(2)), None
    elif facts is not None:
        lat, lon = facts.get("latitude"), facts.get("longitude")
        accuracy = facts.get("accuracy_m")
    else:
        return None
    if not _number(lat) or not _number(lon) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return Place(float(lat), float(lon), float(accuracy) if _number(accuracy) else None)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def distance_m(a: Place, b: Place) -> float:
    """Great-circle distance (haversine) in metres."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def incident_window(incident: Any) -> tuple[datetime, datetime]:
    """[start, end] in the place's local time, as wide as the incident's time is known."""
    start, end = incident.occurred_from, incident.occurred_to
    certainty = incident.time_certainty
    if certainty == "about" and incident.uncertainty_minutes:
        margin = timedelta(minutes=incident.uncertainty_minutes)
        return start - margin, start + margin
    if certainty == "range" and end is not None:
        return start, end
    if certainty in ("day", "days"):
        last = (end or start).date()
        day_start = datetime.combine(start.date(), datetime.min.time())
        return day_start, datetime.combine(last, datetime.min.time()) + timedelta(days=1)
    return start, start
