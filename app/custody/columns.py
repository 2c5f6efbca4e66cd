"""The filter columns (action, actor, object, time) checked against an entry's signed body bytes.

Pages filter ledger entries on copies of body fields kept in plain columns; a copy changed
in SQL would hide an entry from a filter without breaking the chain. Verification and the
check before signing compare each copy with the body, byte for byte, without parsing JSON:
a body is canonical JSON (RFC 8785) with its members in a fixed order, so the action is the
first member, the actor's id follows its optional email, and the body ends with the object
and the time. Parsing every body would cost five times the two SHA-256 of an entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime

_ACTOR_ID = b'"id":"'
_EMAIL = b'"email":"'


def body_time(value: object) -> str:
    """A time column as the body spells it: from a naive UTC datetime or SQLite's text."""
    if isinstance(value, datetime):
        return value.isoformat(sep="T", timespec="microseconds") + "Z"
    text = str(value)
    if len(text) == 19:  # a datetime stored without microseconds
        text += ".000000"
    return text.replace(" ", "T", 1) + "Z"


def columns_match(
    body: bytes, action: str, object_type: str, object_id: str, actor_id: str | None, time: object
) -> bool:
    """True when every filter column equals the field of the signed body it copies."""
    when = body_time(time)
    if type(body) is not bytes:
        body = bytes(body)
    # One test for the four columns: a quote, backslash or control character anywhere (or a
    # backslash in the body) sends the row to the exact, slower comparison.
    joined = f"{action}{object_type}{object_id}{actor_id}"
    if (
        actor_id is None
        or '"' in joined
        or "\\" in joined
        or not joined.isprintable()
        or b"\\" in body
    ):
        return _parsed_match(body, action, object_type, object_id, actor_id, when)
    prefix = b'{"action":"%s","actor":{' % action.encode()
    if not body.startswith(prefix):
        return False
    at = len(prefix)
    if body.startswith(_EMAIL, at):
        # The body has no backslash, so the email's string ends at the next quote.
        at = body.find(b'"', at + len(_EMAIL)) + 1
        if not at or body[at : at + 1] != b",":
            return False
        at += 1
    if not body.startswith(b'"id":"%s",' % actor_id.encode(), at):
        return False
    return body.endswith(
        b',"object":{"id":"%s","type":"%s"},"time":"%s"}'
        % (object_id.encode(), object_type.encode(), when.encode())
    )


def _parsed_match(
    body: bytes, action: object, object_type: object, object_id: object, actor_id: object, when: str
) -> bool:
    """The exact comparison for values JSON escapes (never for bodies Custos writes today)."""
    try:
        parsed = json.loads(body)
        return (
            parsed["action"] == action
            and parsed["actor"]["id"] == actor_id
            and parsed["object"] == {"id": object_id, "type": object_type}
            and parsed["time"] == when
        )
    except (ValueError, TypeError, KeyError):
        return False


class ColumnCheck:
    """Passes ledger rows on to verify_chain and remembers the first whose columns lie.

    Takes (seq, prev, body_sha256, hash, body, action, object_type, object_id, actor_id,
    time) rows and yields the first five fields, as verify_chain reads them.
    """

    def __init__(self) -> None:
        self.bad_seq: int | None = None

    def rows(self, rows: Iterable[tuple]) -> Iterator[tuple]:
        match = columns_match
        for seq, prev, body_sha256, claimed, body, *columns in rows:
            if self.bad_seq is None and (body is None or not match(body, *columns)):
                self.bad_seq = seq
            yield seq, prev, body_sha256, claimed, body

    def reason(self) -> str:
        return (
            f"entry {self.bad_seq}: its action, actor, object or time column differs from its "
            "signed body (filter column modified)"
        )
