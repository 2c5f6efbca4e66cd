"""Verifying ledgers in the database: every hash, every link, and the signed checkpoints.

What is trusted: the entries' stored bytes and hashes (re-hashed here), and checkpoint
statements whose minisign signature verifies under the organisation key. Nothing else:
not the head row, not the denormalised columns, not a checkpoint's columns on their own.

The hot loop is verify_pass.LedgerPass over raw DBAPI tuples (no ORM objects, no SQLAlchemy
rows): the chain, the filter columns and the Merkle tree in one pass, at >= 0.43x two bare
SHA-256 per row and 300,000 entries/s (issues 4 and 14; benchmarks/bench_custody_verify.py).

Every checkpoint's signature and head is checked by default: a forged history that
someone signed with the key later (or whose older checkpoints contradict it) shows. The
filter columns are compared with the signed bodies (app/custody/columns.py). `fast=True`
checks only the newest signature, which vouches for every entry before it through the
hash chain (docs/custody.md, "What verify proves").

The checkpoint checks are in verify_checkpoints.py, the witness comparison in
verify_witness.py, the raw reads in verify_reader.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.crypto.minisign import key_id_hex, parse_public_key
from app.custody import witness
from app.custody.cosign_log import COSIGNATURES_SQL, check_cosignatures, cosigner_keys
from app.custody.verify_checkpoints import (  # noqa: F401 (key_for: presign uses it here)
    Problems,
    TrustedKeys,
    check_checkpoint,
    find_rewritten_span,
    key_for,
    signature_key_id,
)
from app.custody.verify_pass import LedgerPass, TreeRoots
from app.custody.verify_reader import LedgerReader
from app.custody.verify_witness import compare_with_witness, witnessed_sizes_of
from app.extensions import db

_ENTRIES_SQL = (
    "SELECT seq, prev_hash, body_sha256, entry_hash, body,"
    " action, object_type, object_id, actor_id, time, leaf_salt FROM custody_entries"
    " WHERE investigation_id = ? ORDER BY seq"
)
# Each checkpoint with the entry hash stored at its seq: one query, not one per checkpoint.
_CHECKPOINTS_SQL = (
    "SELECT c.seq, c.head, c.statement, c.minisig, c.note, e.entry_hash"
    " FROM custody_checkpoints c LEFT JOIN custody_entries e"
    " ON e.investigation_id = c.investigation_id AND e.seq = c.seq"
    " WHERE c.investigation_id = ? ORDER BY c.seq, c.id"
)
_NEWEST_CHECKPOINT_SQL = (
    "SELECT c.seq, c.head, c.statement, c.minisig, c.note, e.entry_hash"
    " FROM custody_checkpoints c LEFT JOIN custody_entries e"
    " ON e.investigation_id = c.investigation_id AND e.seq = c.seq"
    " WHERE c.investigation_id = ? ORDER BY c.seq DESC, c.id DESC LIMIT 1"
)
_ROOTED_SIZES_SQL = (
    "SELECT DISTINCT seq FROM custody_checkpoints WHERE investigation_id = ? AND root IS NOT NULL"
)
_NEWEST_ROOTED_SIZE_SQL = (
    "SELECT seq FROM custody_checkpoints WHERE investigation_id = ? AND root IS NOT NULL"
    " ORDER BY seq DESC, id DESC LIMIT 1"
)


@dataclass(frozen=True)
class LedgerVerdict:
    """The outcome for one investigation's ledger."""

    reference: str
    ok: bool
    entries: int  # entries that verified before the first problem (all of them when ok)
    head: str | None  # entry hash of the last verified entry
    checkpoints: int
    signed_seq: int | None = None  # what the newest verified signature covers
    signed_time: str | None = None
    signed_key: str | None = None
    signatures_checked: int = 0
    cosignatures_checked: int = 0  # other instances' countersignatures (cosign_log.py)
    bad_seq: int | None = None
    problem: str | None = None

    def line(self) -> str:
        """One line for the CLI: a summary when intact, the first problem otherwise."""
        if not self.ok:
            return f"FAILED {self.reference}: {self.problem}"
        if self.entries == 0:
            return f"OK {self.reference}: no entries"
        return (
            f"OK {self.reference}: entries 1..{self.entries} intact, head {self.head}, "
            f"signed at entry {self.signed_seq} ({self.signed_time}, key {self.signed_key}), "
            f"{self.checkpoints} checkpoints, {self.signatures_checked} signatures checked"
            + (
                f", {self.cosignatures_checked} cosignatures checked"
                if self.cosignatures_checked
                else ""
            )
        )


def public_keys() -> dict[str, str]:
    """The minisign public keys trusted to sign checkpoints, by key id (as minisign prints
    it): the organisation's, and each listed intake node's until it is revoked
    (app/custody/signers.py)."""
    from app.custody.signer_keys import active_signer_keys, revoked_signer_ids
    from app.security import org_keys

    key = org_keys.minisign_public_key()
    key_id, _ = parse_public_key(key)
    return TrustedKeys({**active_signer_keys(), key_id_hex(key_id): key}, revoked_signer_ids())


def verify_ledgers(
    reference: str | None = None,
    *,
    fast: bool = False,
    allow_unsigned_tail: bool = False,
) -> list[LedgerVerdict]:
    """Verify every investigation's ledger (or one), each in a consistent snapshot.

    Every checkpoint's signature and head is checked unless ``fast`` (then only the
    newest, which vouches for the entries before it through the chain).
    Raises LookupError for an unknown reference.
    """
    keys = public_keys()
    reader = LedgerReader(db.engine)
    try:
        sql = "SELECT id, reference FROM investigations"
        params: tuple = ()
        if reference is not None:
            sql += " WHERE reference = ?"
            params = (reference,)
        investigations = reader.rows(sql + " ORDER BY reference", params)
        reader.end()
        if reference is not None and not investigations:
            raise LookupError(f"no investigation {reference}")
        return [
            verify_ledger(
                reader,
                investigation_id,
                ref,
                keys,
                all_signatures=not fast,
                allow_unsigned_tail=allow_unsigned_tail,
            )
            for investigation_id, ref in investigations
        ]
    finally:
        reader.close()


def verify_ledger(
    reader: LedgerReader,
    investigation_id: str,
    reference: str,
    keys: dict[str, str],
    *,
    all_signatures: bool = False,
    allow_unsigned_tail: bool = False,
) -> LedgerVerdict:
    """Verify one ledger inside a read-only snapshot.

    ``allow_unsigned_tail`` accepts entries after the newest checkpoint (for `custody
    checkpoint`, whose operator is about to sign them); verification proper never does.
    """
    reader.begin_snapshot()
    try:
        return _verify_in_snapshot(
            reader, investigation_id, reference, keys, all_signatures, allow_unsigned_tail
        )
    finally:
        reader.end()


def _verify_in_snapshot(
    reader: LedgerReader,
    investigation_id: str,
    reference: str,
    keys: dict[str, str],
    all_signatures: bool,
    allow_unsigned_tail: bool,
) -> LedgerVerdict:
    problems = Problems()
    # The Merkle root is recomputed from the bodies at the size of every checkpoint that
    # signs one (only the newest with fast): sizes first, then one pass over the entries.
    sizes_sql = _ROOTED_SIZES_SQL if all_signatures else _NEWEST_ROOTED_SIZE_SQL
    sizes = {size for (size,) in reader.rows(sizes_sql, (investigation_id,))}
    witnessed = witness.read_each(reference)
    witnessed_sizes = {
        (label, name): size
        for label, records in witnessed
        for name, size in witnessed_sizes_of(records).items()
    }
    cosigned = reader.rows(COSIGNATURES_SQL, (investigation_id,)) if cosigner_keys() else []
    roots = TreeRoots(sizes | set(witnessed_sizes.values()) | {row[0] for row in cosigned})
    entries = LedgerPass(roots)
    report = entries.run(reader.stream(_ENTRIES_SQL, (investigation_id,)))
    if not report.ok:
        problems.add(report.bad_seq, report.reason)
    last = report.last_seq  # entries 1..last verified; their stored entry_hash is now trusted
    checkpoints = reader.scalar(
        "SELECT COUNT(*) FROM custody_checkpoints WHERE investigation_id = ?", investigation_id
    )

    if all_signatures:  # first: it names the span rewritten, the signature loop only an entry
        find_rewritten_span(reader, investigation_id, last, problems)
    signed = None
    signatures_checked = 0
    to_check = (
        reader.rows(_CHECKPOINTS_SQL, (investigation_id,))
        if all_signatures
        else [row for row in [reader.first(_NEWEST_CHECKPOINT_SQL, (investigation_id,))] if row]
    )
    trusted_checked = 0
    revoked = getattr(keys, "revoked", frozenset())
    for seq, head, statement, minisig, note, stored_at_seq in to_check:
        key_id = signature_key_id(minisig)
        if key_id in revoked:
            continue
        trusted_checked += 1
        signatures_checked += 1
        checked = check_checkpoint(
            reader,
            (investigation_id, reference, keys, key_id),
            (statement, minisig, note),
            roots.at,
            (seq, stored_at_seq),
        )
        if not isinstance(checked, str) and (checked[0], checked[3]) != (seq, head):
            checked = f"the row says entry {seq} but its signed statement says {checked[0]}"
        if isinstance(checked, str):
            problems.add(min(seq, last + 1), f"checkpoint at entry {seq}: {checked}")
        elif signed is None or checked[0] >= signed[0]:
            signed = checked

    if report.ok and not allow_unsigned_tail:
        if signed is None and last > 0 and not trusted_checked:
            problems.add(1, f"entries 1..{last}: not covered by a checkpoint of a trusted signer")
        elif signed is not None and signed[0] < last:
            problems.add(
                signed[0] + 1,
                f"entries {signed[0] + 1}..{last}: not covered by a signed checkpoint "
                "(appended without the organisation key: forged, or written by a node "
                "that cannot sign)",
            )
    # A signed seq beyond the ledger's end was reported by _check_checkpoint (deleted).

    # Each checkpoint's head against the verified chain: one SQL comparison. Only needed
    # when something already failed (to find the first entry that differs from what was
    # signed) or for a full audit; when the newest signature holds, it already vouches for
    # every entry before it, and this join would cost a quarter of the run on a large ledger.
    if problems.found and not all_signatures:
        find_rewritten_span(reader, investigation_id, last, problems)

    for label, records in witnessed:
        compare_with_witness(
            reader,
            investigation_id,
            reference,
            keys,
            records,
            {name: size for (of, name), size in witnessed_sizes.items() if of == label},
            (last, roots, all_signatures),
            problems,
        )

    cosignatures = check_cosignatures(cosigned, reference, last, roots.at, problems)

    # Last, so that a forged or unsigned entry at the same seq is named as such first.
    if entries.columns_bad_seq is not None and entries.columns_bad_seq <= report.last_seq:
        problems.add(entries.columns_bad_seq, entries.columns_reason())

    first = problems.first()
    if first is not None:
        bad_seq, problem = first
        return LedgerVerdict(
            reference=reference,
            ok=False,
            entries=min(last, bad_seq - 1),
            head=report.head if report.ok or bad_seq > last else None,
            checkpoints=checkpoints,
            signatures_checked=signatures_checked,
            bad_seq=bad_seq,
            problem=problem,
        )
    return LedgerVerdict(
        reference=reference,
        ok=True,
        entries=last,
        head=report.head if last else None,
        checkpoints=checkpoints,
        signed_seq=signed[0] if signed else None,
        signed_time=signed[1] if signed else None,
        signed_key=signed[2] if signed else None,
        signatures_checked=signatures_checked,
        cosignatures_checked=cosignatures,
    )
