"""verify_pass.LedgerPass: the same verdicts as verify_chain, columns_match and the Merkle tree."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.crypto import merkle
from app.crypto.canonical import canonical_json
from app.custody.chain import GENESIS_HASH, body_digest, entry_hash, verify_chain
from app.custody.columns import columns_match
from app.custody.tree import entry_leaf
from app.custody.verify_pass import LedgerPass, TreeRoots

OBJECT_ID = "EV-{seq}"
ACTOR_ID = "4f1c2e9a-0000-4000-8000-000000000001"


def make_body(seq: int, **changes: object) -> bytes:
    body = {
        "investigation": "INV-2024-0007",
        "actor": {"type": "user", "id": ACTOR_ID, "email": "analyst@example.org"},
        "action": "evidence.viewed",
        "object": {"type": "evidence", "id": OBJECT_ID.format(seq=seq)},
        "time": f"2024-05-01T10:00:{seq % 60:02d}.000000Z",
        "details": {"note": "Übergabe"},
    }
    body.update(changes)
    return canonical_json(body)


def columns_of(seq: int) -> tuple:
    """(action, object_type, object_id, actor_id, time) as SQLite returns them."""
    time = f"2024-05-01 10:00:{seq % 60:02d}.000000"
    return ("evidence.viewed", "evidence", OBJECT_ID.format(seq=seq), ACTOR_ID, time)


def salt_of(seq: int) -> bytes | None:
    """Entries 1..5 were written before leaf salts (v1 leaves), later ones have a salt."""
    return None if seq <= 5 else bytes([seq % 256]) * 32


def rechain(bodies: list[bytes | None], columns: list[tuple] | None = None) -> list[tuple]:
    """Full ledger rows (chain fields, body, filter columns, leaf salt) over ``bodies``."""
    rows, prev = [], GENESIS_HASH
    for seq, body in enumerate(bodies, start=1):
        digest = body_digest(body if body is not None else b"redacted %d" % seq)
        current = entry_hash(seq, prev, digest)
        row_columns = columns[seq - 1] if columns else columns_of(seq)
        rows.append((seq, prev, digest, current, body, *row_columns, salt_of(seq)))
        prev = current
    return rows


def run(rows: list[tuple], sizes: set[int] = frozenset()) -> tuple[LedgerPass, object]:
    checked = LedgerPass(TreeRoots(set(sizes)))
    return checked, checked.run(iter(rows))


def test_an_intact_ledger_passes_with_the_chain_head_and_no_column_problem() -> None:
    rows = rechain([make_body(seq) for seq in range(1, 41)])
    checked, report = run(rows)
    assert report == verify_chain(row[:5] for row in rows)
    assert report.ok and report.last_seq == 40 and report.head == rows[-1][3]
    assert checked.columns_bad_seq is None


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 16, 33, 40])
def test_the_roots_are_the_merkle_roots_of_the_bodies(size: int) -> None:
    bodies = [make_body(seq) for seq in range(1, 41)]
    rows = rechain(bodies)
    checked, _report = run(rows, {size, 40})
    leaves = [entry_leaf(body, salt_of(seq)) for seq, body in enumerate(bodies, start=1)]
    assert checked.roots.at[size] == merkle.root_of(leaves[:size])[1]
    assert checked.roots.heads[size] == rows[size - 1][3]
    assert checked.roots.at[40] == merkle.root_of(leaves)[1]


def test_a_body_swapped_for_a_rechained_one_changes_the_root_not_the_chain() -> None:
    bodies = [make_body(seq) for seq in range(1, 9)]
    honest, _ = run(rechain(bodies), {8})
    bodies[2] = make_body(3, details={"note": "forged"})
    forged, report = run(rechain(bodies), {8})
    assert report.ok
    assert forged.roots.at[8] != honest.roots.at[8]


def tampered_ledgers() -> dict[str, list[tuple]]:
    rows = rechain([make_body(seq) for seq in range(1, 21)])
    body_changed = list(rows)
    body_changed[6] = rows[6][:4] + (make_body(7, action="evidence.deleted"),) + rows[6][5:]
    deleted = rows[:9] + rows[10:]
    reordered = rows[:4] + [rows[5], rows[4]] + rows[6:]
    hash_changed = list(rows)
    hash_changed[11] = rows[11][:3] + ("f" * 64,) + rows[11][4:]
    digest_changed = list(rows)
    digest_changed[2] = rows[2][:2] + ("e" * 64,) + rows[2][3:]
    bad_redaction = list(rows)
    bad_redaction[3] = rows[3][:2] + ("not hex",) + rows[3][3:4] + (None,) + rows[3][5:]
    redacted_rehashed = rechain([make_body(seq) if seq != 8 else None for seq in range(1, 21)])
    redacted_rehashed[7] = redacted_rehashed[7][:3] + ("d" * 64,) + redacted_rehashed[7][4:]
    return {
        "redacted, entry hash changed": redacted_rehashed,
        "body changed": body_changed,
        "deleted": deleted,
        "reordered": reordered,
        "entry hash changed": hash_changed,
        "body digest changed": digest_changed,
        "redacted without a digest": bad_redaction,
        "empty": [],
    }


@pytest.mark.parametrize("name", list(tampered_ledgers()))
def test_a_broken_chain_gets_verify_chains_verdict_word_for_word(name: str) -> None:
    rows = tampered_ledgers()[name]
    _checked, report = run(rows)
    assert report == verify_chain(row[:5] for row in rows)
    if rows:
        assert not report.ok


def test_redacted_entries_are_counted_and_their_columns_cannot_vouch() -> None:
    bodies = [make_body(seq) for seq in range(1, 11)]
    bodies[4] = None
    rows = rechain(bodies)
    checked, report = run(rows, {10})
    assert report == verify_chain(row[:5] for row in rows)
    assert report.ok and report.redacted == 1
    assert checked.columns_bad_seq == 5


def with_columns(seq: int, **changes: object) -> list[tuple]:
    names = ("action", "object_type", "object_id", "actor_id", "time")
    columns = [columns_of(number) for number in range(1, 11)]
    columns[seq - 1] = tuple(
        changes.get(name, value) for name, value in zip(names, columns[seq - 1], strict=True)
    )
    return columns


WITH_URL = make_body(5, object={"type": "evidence", "id": "EV-5", "url": "https://example.org/5"})
# Not canonical JSON (that escapes control characters): the column's bytes match the body's.
RAW_CONTROL = make_body(5).replace(b'"evidence.viewed"', b'"evidence.viewed\x00"', 1)


@pytest.mark.parametrize(
    ("changes", "body"),
    [
        ({"action": "evidence.deleted"}, None),
        ({"object_type": "testimony"}, None),
        ({"object_id": "EV-99"}, None),
        ({"actor_id": "4f1c2e9a-0000-4000-8000-000000000002"}, None),
        ({"actor_id": None}, None),
        ({"time": "2024-05-01 10:00:05.000001"}, None),
        ({"time": "2024-05-01 10:00:06"}, None),
        ({"time": "2024-05-01 10:00:05.000000 "}, None),
        ({"time": datetime(2024, 5, 1, 10, 0, 6)}, None),
        ({"time": 1714557605}, None),
        # A quote in a column lining up with the body's own structure: the bytes match
        # ("type":"evidence","url":"..."), the fields do not.
        ({"object_type": 'evidence","url":"https://example.org/5'}, WITH_URL),
        ({"action": "evidence.viewed\x00"}, RAW_CONTROL),
    ],
)
def test_a_column_that_differs_from_its_body_is_named(changes: dict, body: bytes | None) -> None:
    bodies = [make_body(seq) for seq in range(1, 11)]
    if body is not None:
        bodies[4] = body
    rows = rechain(bodies, with_columns(5, **changes))
    checked, report = run(rows)
    assert report.ok
    assert checked.columns_bad_seq == 5
    assert "entry 5: its action, actor, object or time column differs" in checked.columns_reason()
    assert not columns_match(rows[4][4], *rows[4][5:10])


def test_the_columns_of_a_body_with_extra_object_fields_match_when_quotes_are_not_injected():
    bodies = [make_body(seq) for seq in range(1, 11)]
    bodies[4] = WITH_URL
    assert run(rechain(bodies))[0].columns_bad_seq == 5  # the object has a third field


@pytest.mark.parametrize(
    "changes",
    [
        {"time": datetime(2024, 5, 1, 10, 0, 5)},  # psycopg's form
        {"time": "2024-05-01 10:00:05"},  # stored without microseconds
    ],
)
def test_every_form_of_a_matching_time_matches(changes: dict) -> None:
    rows = rechain([make_body(seq) for seq in range(1, 11)], with_columns(5, **changes))
    checked, report = run(rows)
    assert report.ok and checked.columns_bad_seq is None


@pytest.mark.parametrize(
    ("body", "columns"),
    [
        # Escapes in the body: the exact (parsed) comparison decides.
        (
            make_body(5, action='say "hi"\\'),
            ('say "hi"\\', "evidence", "EV-5", ACTOR_ID, "2024-05-01 10:00:05.000000"),
        ),
        # No email before the actor's id.
        (
            make_body(5, actor={"type": "user", "id": ACTOR_ID}),
            ("evidence.viewed", "evidence", "EV-5", ACTOR_ID, "2024-05-01 10:00:05.000000"),
        ),
        # Not UTF-8: still compared byte for byte.
        (
            make_body(5).replace("Übergabe".encode(), b"\xff\xfe"),
            ("evidence.viewed", "evidence", "EV-5", ACTOR_ID, "2024-05-01 10:00:05.000000"),
        ),
        # Text outside ASCII in a column.
        (
            make_body(5, action="évidence.vue"),
            ("évidence.vue", "evidence", "EV-5", ACTOR_ID, "2024-05-01 10:00:05.000000"),
        ),
    ],
)
def test_unusual_bodies_get_columns_match_verdict(body: bytes, columns: tuple) -> None:
    bodies = [make_body(seq) for seq in range(1, 11)]
    bodies[4] = body
    names = ("action", "object_type", "object_id", "actor_id", "time")
    rows = rechain(bodies, with_columns(5, **dict(zip(names, columns, strict=True))))
    checked, report = run(rows)
    assert report.ok
    assert columns_match(body, *columns)
    assert checked.columns_bad_seq is None
    wrong = rechain(bodies, with_columns(5, object_id="EV-6"))
    assert run(wrong)[0].columns_bad_seq == 5


def test_a_remembered_head_vouches_only_for_bodies_that_start_with_it() -> None:
    bodies = [make_body(seq) for seq in range(1, 11)]
    other = {"type": "user", "id": "4f1c2e9a-0000-4000-8000-000000000002"}
    bodies[5] = make_body(6, actor={**other, "email": "analyst@example.org"})
    assert run(rechain(bodies))[0].columns_bad_seq == 6
    bodies[5] = make_body(6, actor={"type": "user", "id": ACTOR_ID, "email": "new@example.org"})
    assert run(rechain(bodies))[0].columns_bad_seq is None
    bodies[5] = make_body(6, action="evidence.deleted")
    assert run(rechain(bodies))[0].columns_bad_seq == 6


def test_only_the_first_column_problem_is_kept() -> None:
    columns = with_columns(3, action="evidence.deleted")
    columns[7] = ("evidence.deleted",) + columns[7][1:]
    rows = rechain([make_body(seq) for seq in range(1, 11)], columns)
    checked, _report = run(rows)
    assert checked.columns_bad_seq == 3


def test_a_leaf_salt_changed_in_the_database_changes_the_root_not_the_chain() -> None:
    rows = rechain([make_body(seq) for seq in range(1, 9)])
    honest, _ = run(rows, {8})
    rows[6] = rows[6][:10] + (b"\xee" * 32,)
    forged, report = run(rows, {8})
    assert report.ok
    assert forged.roots.at[8] != honest.roots.at[8]
