"""Canonical JSON (RFC 8785, JCS) and the single UTC timestamp form the ledger records."""

from __future__ import annotations

from datetime import UTC, datetime

import rfc8785


def canonical_json(obj: object) -> bytes:
    """Serialize ``obj`` as RFC 8785 canonical JSON (UTF-8 bytes, sorted keys, no whitespace).

    Raises the ``rfc8785`` errors for values JCS cannot represent: integers outside the
    I-JSON range (RFC 7493 section 2.2), NaN/infinity, non-string keys.
    """
    return rfc8785.dumps(obj)


def utc_timestamp(moment: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC.

    A naive datetime is refused rather than guessed at: a ledger time that silently
    shifted by the server's offset would be wrong evidence.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("utc_timestamp needs a timezone-aware datetime")
    # Always microseconds and a literal "Z": one spelling per instant, so the same moment
    # always canonicalizes to the same bytes (RFC 3339 section 5.6 allows many spellings).
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
