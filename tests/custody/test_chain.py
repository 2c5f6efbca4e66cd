"""Ledger hash chain: canonical bodies, entry hashes, checkpoint statements, tamper diagnosis."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.crypto.canonical import canonical_json
from app.custody.chain import (
    GENESIS_HASH,
    body_digest,
    entry_hash,
    head_statement,
    verify_chain,
)

# Fixed vectors of the v1 chain (the worked example of custody-format.md before issue 14),
# checked with sha256sum as well (the current example is in tests/custody/test_format_doc.py).
VECTOR_BODY = {
    "investigation": "INV-2024-0007",
    "actor": {"type": "user", "id": "u-17", "name": "A. Analyst"},
    "action": "evidence.received",
    "object": {"type": "evidence", "id": "EV-000123"},
    "time": "2024-05-01T10:00:00.000000Z",
    "details": {
        "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "note": "Übergabe",
    },
}
VECTOR_BODY_SHA256 = "c84bee585ca8f87384f078e3f3856d9287c2f8a350401dbf341928c3d08c056b"
VECTOR_ENTRY_1_HASH = "067382ad14b5f46c4b10bbadac83c8e28d21c7c7041a5b7d263cedf55a509a09"
VECTOR_BODY_2_SHA256 = "0eda18cca34e2de7c3b583b37320561e82ad12abe78e902379d2394e2f0d6aa9"
VECTOR_ENTRY_2_HASH = "eea5b9b450e5c3ee162ae040e5004cb604f50e9787f497bf70fba7d43ec9803a"
VECTOR_STATEMENT = (
    b'{"head":"eea5b9b450e5c3ee162ae040e5004cb604f50e9787f497bf70fba7d43ec9803a",'
    b'"investigation":"INV-2024-0007","seq":2,"time":"2024-05-01T12:00:00.000000Z",'
    b'"type":"custos-checkpoint-v1"}'
)


def make_body(seq: int, tag: str = "original") -> bytes:
    return canonical_json(
        {
            "investigation": "INV-2024-0007",
            "actor": {"type": "user", "id": "u-1"},
            "action": "evidence.viewed",
            "object": {"type": "evidence", "id": f"EV-{seq}"},
            "time": "2024-05-01T10:00:00.000000Z",
            "details": {"tag": tag},
        }
    )


def rechain(bodies: list[bytes]) -> list[tuple[int, str, str, str, bytes]]:
    """A valid ledger over ``bodies``: what a forger who recomputes every hash produces."""
    rows, prev = [], GENESIS_HASH
    for seq, body in enumerate(bodies, start=1):
        digest = body_digest(body)
        current = entry_hash(seq, prev, digest)
        rows.append((seq, prev, digest, current, body))
        prev = current
    return rows


def ledger(count: int = 30) -> list[tuple[int, str, str, str, bytes]]:
    return rechain([make_body(seq) for seq in range(1, count + 1)])


def test_worked_example_matches_the_format_document() -> None:
    body = canonical_json(VECTOR_BODY)
    assert body_digest(body) == VECTOR_BODY_SHA256
    assert entry_hash(1, GENESIS_HASH, VECTOR_BODY_SHA256) == VECTOR_ENTRY_1_HASH


def test_worked_example_second_entry_and_checkpoint_match_the_format_document() -> None:
    second = dict(VECTOR_BODY, action="evidence.viewed", time="2024-05-01T10:05:00.000000Z")
    digest = body_digest(canonical_json(dict(second, details={})))
    head = entry_hash(2, VECTOR_ENTRY_1_HASH, digest)
    assert (digest, head) == (VECTOR_BODY_2_SHA256, VECTOR_ENTRY_2_HASH)
    statement = head_statement("INV-2024-0007", 2, head, "2024-05-01T12:00:00.000000Z")
    assert statement == VECTOR_STATEMENT


def test_entry_hash_is_sha256_of_the_documented_preimage() -> None:
    preimage = b"custos-ledger-v1\n7\n" + b"a" * 64 + b"\n" + b"b" * 64
    assert entry_hash(7, "a" * 64, "b" * 64) == hashlib.sha256(preimage).hexdigest()


@pytest.mark.parametrize(
    ("seq", "prev", "digest"),
    [
        (0, GENESIS_HASH, "b" * 64),
        (1, "A" * 64, "b" * 64),
        (1, GENESIS_HASH, "b" * 63),
        (True, GENESIS_HASH, "b" * 64),
    ],
)
def test_entry_hash_refuses_ambiguous_input(seq: int, prev: str, digest: str) -> None:
    with pytest.raises(ValueError):
        entry_hash(seq, prev, digest)


def test_head_statement_is_canonical_json_of_the_checkpoint() -> None:
    statement = head_statement("INV-2024-0007", 2, "e" * 64, datetime(2024, 5, 1, 12, tzinfo=UTC))
    assert statement == (
        b'{"head":"' + b"e" * 64 + b'","investigation":"INV-2024-0007","seq":2,'
        b'"time":"2024-05-01T12:00:00.000000Z","type":"custos-checkpoint-v1"}'
    )


def test_head_statement_refuses_a_loosely_formatted_time() -> None:
    with pytest.raises(ValueError, match="time"):
        head_statement("INV-2024-0007", 2, "e" * 64, "2024-05-01T12:00:00Z")


def test_valid_chain_reports_its_head() -> None:
    rows = ledger()
    report = verify_chain(rows)
    assert (report.ok, report.verified, report.last_seq, report.head) == (True, 30, 30, rows[-1][3])


def test_empty_chain_is_the_genesis_state() -> None:
    report = verify_chain([])
    assert (report.ok, report.last_seq, report.head) == (True, 0, GENESIS_HASH)


def test_verification_can_resume_after_a_checkpointed_entry() -> None:
    rows = ledger()
    report = verify_chain(rows[10:], after_seq=10, after_hash=rows[9][3])
    assert (report.ok, report.verified, report.last_seq) == (True, 20, 30)


def test_rows_without_stored_body_digest_are_verified_from_the_body() -> None:
    rows = [(seq, prev, None, current, body) for seq, prev, _d, current, body in ledger()]
    assert verify_chain(rows).ok


def test_redacted_entries_still_verify() -> None:
    rows = [
        (seq, prev, digest, current, None if seq % 3 == 0 else body)
        for seq, prev, digest, current, body in ledger()
    ]
    report = verify_chain(rows)
    assert (report.ok, report.redacted, report.head) == (True, 10, rows[-1][3])


def test_redacted_entry_with_altered_digest_is_caught() -> None:
    rows = ledger()
    seq, prev, digest, current, _body = rows[11]
    rows[11] = (seq, prev, "0" + digest[1:], current, None)
    assert verify_chain(rows).reason == "entry 12: entry hash mismatch (modified)"


def test_modified_body_is_caught() -> None:
    rows = ledger()
    seq, prev, digest, current, body = rows[16]
    rows[16] = (seq, prev, digest, current, body.replace(b"original", b"tampered"))
    report = verify_chain(rows)
    assert (report.bad_seq, report.reason) == (17, "entry 17: body hash mismatch (modified)")
    assert (report.last_seq, report.head) == (16, rows[15][3])


def test_modified_hash_is_caught() -> None:
    rows = ledger()
    seq, prev, digest, _current, body = rows[16]
    rows[16] = (seq, prev, digest, "f" * 64, body)
    assert verify_chain(rows).reason == "entry 17: entry hash mismatch (modified)"


def test_modified_and_rehashed_entry_is_caught_at_the_next_link() -> None:
    rows = ledger()
    seq, prev, _digest, _current, _body = rows[16]
    forged = make_body(17, "tampered")
    rows[16] = (seq, prev, body_digest(forged), entry_hash(seq, prev, body_digest(forged)), forged)
    assert verify_chain(rows).reason == (
        "entry 18: prev hash does not match entry 17 (entry 17 modified and rehashed, or replaced)"
    )


def test_altered_prev_field_is_caught() -> None:
    rows = ledger()
    seq, _prev, digest, current, body = rows[6]
    rows[6] = (seq, "e" * 64, digest, current, body)
    assert (
        verify_chain(rows).reason
        == "entry 7: prev hash does not match entry 6 (prev field modified)"
    )


def test_deleted_entry_is_caught_as_a_gap() -> None:
    rows = ledger()
    del rows[17]
    report = verify_chain(rows)
    assert (report.bad_seq, report.reason) == (
        18,
        "entry 18: sequence gap, expected 18 got 19 (deleted)",
    )


def test_deleted_entry_with_renumbering_is_caught_as_deleted() -> None:
    rows = ledger()
    del rows[17]
    rows = [(seq, *rest) for seq, (_old, *rest) in enumerate(rows, start=1)]
    assert verify_chain(rows).reason == (
        "entry 18: prev hash does not match entry 17; it was written as entry 19,"
        " so entries before it were deleted (deleted)"
    )


def test_inserted_forged_entry_breaks_the_next_link() -> None:
    rows = ledger()
    forged = make_body(5, "forged")
    prev = rows[3][3]
    forged_row = (5, prev, body_digest(forged), entry_hash(5, prev, body_digest(forged)), forged)
    tampered = rows[:4] + [forged_row] + [(seq + 1, *rest) for seq, *rest in rows[4:]]
    assert verify_chain(tampered).reason == (
        "entry 6: prev hash does not match entry 5; it was written as entry 5,"
        " so entries were inserted before it (inserted)"
    )


def test_inserted_entry_with_everything_rehashed_verifies_but_moves_the_head() -> None:
    # The chain alone cannot catch a forger who recomputes every later hash: the signed
    # checkpoint head can (test_verify_custody_tool covers that end to end).
    rows = ledger()
    bodies = [body for *_, body in rows]
    report = verify_chain(rechain(bodies[:4] + [make_body(5, "forged")] + bodies[4:]))
    assert report.ok and report.head != rows[-1][3]


def test_swapped_lines_are_caught_as_reordered() -> None:
    rows = ledger()
    rows[9], rows[10] = rows[10], rows[9]
    assert verify_chain(rows).reason == (
        "entry 10: out of order, found entry 11 in its place (reordered)"
    )


def test_swapped_contents_under_fixed_seqs_are_caught_as_reordered() -> None:
    rows = ledger()
    tenth, eleventh = rows[9], rows[10]
    rows[9], rows[10] = (10, *eleventh[1:]), (11, *tenth[1:])
    assert verify_chain(rows).reason == (
        "entry 10: prev hash does not match entry 9; it was written as entry 11 (reordered)"
    )


def test_duplicated_entry_is_caught() -> None:
    rows = ledger()
    rows.insert(5, rows[4])
    assert verify_chain(rows).reason == "entry 6: sequence goes back, expected 6 got 5 (duplicated)"


@settings(max_examples=200, deadline=None)
@given(
    count=st.integers(min_value=1, max_value=12),
    data=st.data(),
)
def test_any_single_byte_change_is_caught_no_later_than_the_next_entry(
    count: int, data: st.DataObject
) -> None:
    rows = ledger(count)
    index = data.draw(st.integers(0, count - 1), label="row")
    field = data.draw(st.sampled_from([1, 2, 3, 4]), label="field")
    row = list(rows[index])
    value = row[field].encode() if isinstance(row[field], str) else row[field]
    position = data.draw(st.integers(0, len(value) - 1), label="byte")
    flipped = bytearray(value)
    flipped[position] ^= data.draw(st.integers(1, 255), label="xor")
    row[field] = bytes(flipped) if field == 4 else bytes(flipped).decode("latin-1")
    rows[index] = tuple(row)
    report = verify_chain(rows)
    assert not report.ok
    assert report.bad_seq in (index + 1, index + 2)
