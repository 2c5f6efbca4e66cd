"""What a witness record is: its name, its bytes, and reading one back (custody-format.md s.10)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from app.crypto.canonical import canonical_json


class WitnessConflict(RuntimeError):
    """A witness already holds something else under this checkpoint's name."""


@dataclass(frozen=True)
class WitnessRecord:
    """One witnessed checkpoint as read back from a witness."""

    name: str
    statement: bytes
    minisig: str
    note: bytes | None

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.statement).hexdigest()


def file_name(seq: int, statement: bytes) -> str:
    return f"{seq:012d}-{hashlib.sha256(bytes(statement)).hexdigest()[:16]}.json"


def record_bytes(statement: bytes, minisig: str, note: bytes | None) -> bytes:
    return canonical_json(
        {
            "statement": bytes(statement).decode("utf-8"),
            "minisig": minisig,
            "note": bytes(note).decode("utf-8") if note is not None else None,
        }
    )


def parse_record(name: str, data: bytes) -> WitnessRecord:
    """The record in ``data``; an unreadable one comes back empty, for verify to name."""
    try:
        parsed = json.loads(data)
        note = parsed["note"]
        return WitnessRecord(
            name,
            parsed["statement"].encode("utf-8"),
            parsed["minisig"],
            note.encode("utf-8") if note is not None else None,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return WitnessRecord(name, b"", "", None)
