"""UTC time helpers shared by models and services (naive UTC in the database, aware in code)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Current UTC time as a naive datetime, the form stored in every DateTime column."""
    return datetime.now(UTC).replace(tzinfo=None)
