"""Canonical JSON (RFC 8785) and the one UTC timestamp spelling the ledger records."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.crypto.canonical import canonical_json, utc_timestamp


def test_canonical_json_sorts_keys_and_keeps_utf8() -> None:
    assert canonical_json({"b": 1, "a": ["é", 2.0]}) == '{"a":["é",2],"b":1}'.encode()


def test_utc_timestamp_converts_to_utc_with_microseconds() -> None:
    moment = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    assert utc_timestamp(moment) == "2024-05-01T10:00:00.000000Z"


def test_utc_timestamp_refuses_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        utc_timestamp(datetime(2024, 5, 1, 10, 0, 0))
