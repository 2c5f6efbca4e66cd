"""Turning views into JSON values: ISO 8601 dates and times, UTC marked with Z."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

# Incident times are local times at the place, as witnesses report them (app/intake/models).
LOCAL_TIME_KEYS = frozenset({"occurred_from", "occurred_to"})


def to_json(value: Any, key: str | None = None) -> Any:
    """A copy of `value` with dates and times as ISO 8601 strings.

    Flask would send datetimes as HTTP dates (RFC 822: no fraction, English day names);
    clients parse ISO 8601. Timestamps in the database are naive UTC (app/timeutil.py), so a
    datetime gets a Z, except an incident's local times, which claim no zone.
    """
    if isinstance(value, dict):
        return {name: to_json(item, name) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, datetime):
        utc = value.tzinfo is None and key not in LOCAL_TIME_KEYS
        return value.isoformat() + ("Z" if utc else "")
    if isinstance(value, date | time):
        return value.isoformat()
    return value


def person(user: Any) -> dict[str, str] | None:
    """A staff member as colleagues see them (the same as app/intake/views.py shows)."""
    if user is None:
        return None
    return {"id": user.id, "name": user.name, "email": user.email}
