"""Verifying ledgers in the database: every hash, every link, and the signed checkpoints.

What is trusted: the entries' stored bytes and hashes (re-hashed here), and checkpoint
statements whose minisign signature verifies under the organisation key. Nothing else:
not the head row, not the denormalised columns, not a checkpoint's columns on their own.

The hot loop is chain.verify_chain over raw DBAPI tuples (no ORM objects, no SQLAlchemy
rows): `flask custody verify` must reach 300,000 entries/s on SQLite (issue 4, item 4;
benchmarks/bench_custody_verify.py).

Every checkpoint's signature and head is checked by default: a forged history that
someone signed with the key later (or whose older checkpoints contradict it) shows. The
filter columns are compared with the signed bodies (app/custody/columns.py). `fast=True`
checks only the newest signature, which vouches for every entry before it through the
hash chain (docs/custody.md, "What verify proves").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from sqlalchemy import Engine

from app.crypto.merkle import frontier_root
from app.crypto.minisign import SignatureError, key_id_hex, parse_public_key, verify
from app.crypto.note import NoteError, parse_checkpoint_body, verify_note
from app.custody import witness
from app.custody.chain import CHECKPOINT_TYPE, read_statement, verify_chain
from app.custody.columns import ColumnCheck
from app.extensions import db

_ENTRIES_SQL = (
    "SELECT seq, prev_hash, body_sha256, entry_hash, body,"
    " action, object_type, object_id, actor_id, time FROM custody_entries"
    " WHERE investigation_id = ? ORDER BY seq"
)
# Checkpoints whose head is not the (verified) entry hash at their seq, or that point past it.
_MISMATCHED_CHECKPOINTS_SQL = (
    "SELECT c.id, c.seq FROM custody_checkpoints c LEFT JOIN custody_entries e"
    " ON e.investigation_id = c.investigation_id AND e.seq = c.seq"
    " WHERE c.investigation_id = ? AND c.seq <= ?"
    " AND (e.entry_hash IS NULL OR e.entry_hash <> c.head)"
    " ORDER BY c.seq, c.id LIMIT 1"
)
_LAST_GOOD_CHECKPOINT_SQL = (
    "SELECT MAX(c.seq) FROM custody_checkpoints c JOIN custody_entries e"
    " ON e.investigation_id = c.investigation_id AND e.seq = c.seq"
    " WHERE c.investigation_id = ? AND c.seq < ? AND e.entry_hash = c.head"
)
_CHECKPOINTS_SQL = (
    "SELECT seq, head, statement, minisig, note FROM custody_checkpoints"
    " WHERE investigation_id = ? ORDER BY seq, id"
)
_NEWEST_CHECKPOINT_SQL = (
    "SELECT seq, head, statement, minisig, note FROM custody_checkpoints"
    " WHERE investigation_id = ? ORDER BY seq DESC, id DESC LIMIT 1"
)
_ROOTED_SIZES_SQL = (
    "SELECT DISTINCT seq FROM custody_checkpoints WHERE investigation_id = ? AND root IS NOT NULL"
)
_NEWEST_ROOTED_SIZE_SQL = (
    "SELECT seq FROM custody_checkpoints WHERE investigation_id = ? AND root IS NOT NULL"
    " ORDER BY seq DESC, id DESC LIMIT 1"
)
_ROOTED_STATEMENTS_SQL = (
    "SELECT seq, statement FROM custody_checkpoints WHERE investigation_id = ? AND root IS NOT NULL"
    " ORDER BY seq, id"
)
_NEWEST_ROOTED_STATEMENT_SQL = (
    "SELECT seq, statement FROM custody_checkpoints WHERE investigation_id = ? AND root IS NOT NULL"
    " ORDER BY seq DESC, id DESC LIMIT 1"
)
_ENTRY_HASH_SQL = "SELECT entry_hash FROM custody_entries WHERE investigation_id = ? AND seq = ?"


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
        )


@dataclass
class _Problems:
    found: list[tuple[int, int, str]] = field(default_factory=list)

    def add(self, seq: int, message: str) -> None:
        # Ties go to what was found first: chain breaks are looked for before checkpoints.
        self.found.append((seq, len(self.found), message))

    def first(self) -> tuple[int, str] | None:
        if not self.found:
            return None
        seq, _order, message = min(self.found)
        return seq, message


def public_keys() -> dict[str, str]:
    """The organisation's minisign public keys by key id (as minisign prints it)."""
    from app.security import org_keys

    key = org_keys.minisign_public_key()
    key_id, _ = parse_public_key(key)
    return {key_id_hex(key_id): key}


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
    problems = _Problems()
    columns = ColumnCheck()
    # The Merkle root is recomputed from the bodies at the size of every checkpoint that
    # signs one (only the newest with fast): sizes first, then one pass over the entries.
    sizes_sql = _ROOTED_SIZES_SQL if all_signatures else _NEWEST_ROOTED_SIZE_SQL
    sizes = {size for (size,) in reader.rows(sizes_sql, (investigation_id,))}
    witnessed = witness.read_records(reference)
    witnessed_sizes = _witnessed_sizes(witnessed or [])
    roots = TreeRoots(sizes | set(witnessed_sizes.values()))
    report = verify_chain(
        roots.rows(columns.rows(reader.stream(_ENTRIES_SQL, (investigation_id,))))
    )
    if not report.ok:
        problems.add(report.bad_seq, report.reason)
    last = report.last_seq  # entries 1..last verified; their stored entry_hash is now trusted
    checkpoints = reader.scalar(
        "SELECT COUNT(*) FROM custody_checkpoints WHERE investigation_id = ?", investigation_id
    )

    if all_signatures:  # first: it names the span rewritten, the signature loop only an entry
        _find_rewritten_span(reader, investigation_id, last, problems)
    signed = None
    signatures_checked = 0
    to_check = (
        reader.rows(_CHECKPOINTS_SQL, (investigation_id,))
        if all_signatures
        else [row for row in [reader.first(_NEWEST_CHECKPOINT_SQL, (investigation_id,))] if row]
    )
    for seq, head, statement, minisig, note in to_check:
        signatures_checked += 1
        checked = _check_checkpoint(
            reader, investigation_id, reference, keys, (statement, minisig, note), roots.at
        )
        if not isinstance(checked, str) and (checked[0], checked[3]) != (seq, head):
            checked = f"the row says entry {seq} but its signed statement says {checked[0]}"
        if isinstance(checked, str):
            problems.add(min(seq, last + 1), f"checkpoint at entry {seq}: {checked}")
        elif signed is None or checked[0] >= signed[0]:
            signed = checked

    if report.ok and not allow_unsigned_tail:
        if signed is None and last > 0 and not to_check:
            problems.add(1, f"entries 1..{last}: not covered by any signed checkpoint")
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
        _find_rewritten_span(reader, investigation_id, last, problems)

    if witnessed is not None:
        _compare_with_witness(
            reader,
            investigation_id,
            reference,
            keys,
            witnessed,
            witnessed_sizes,
            (last, roots, all_signatures),
            problems,
        )

    # Last, so that a forged or unsigned entry at the same seq is named as such first.
    if columns.bad_seq is not None and columns.bad_seq <= report.last_seq:
        problems.add(columns.bad_seq, columns.reason())

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
    )


def _witnessed_sizes(records: list[witness.WitnessRecord]) -> dict[str, int]:
    """Each record's claimed size, by file name (its signature is checked later)."""
    sizes = {}
    for record in records:
        try:
            sizes[record.name] = read_statement(record.statement)["seq"]
        except ValueError:
            continue
    return sizes


def _compare_with_witness(
    reader: LedgerReader,
    investigation_id: str,
    reference: str,
    keys: dict[str, str],
    records: list[witness.WitnessRecord],
    sizes: dict[str, int],
    state: tuple[int, TreeRoots, bool],
    problems: _Problems,
) -> None:
    """The database against the witness: nothing witnessed is missing or different, every
    checkpoint is witnessed, and the witnessed sizes only grow with time."""
    last, roots, all_checkpoints = state
    (public_key,) = keys.values()
    timeline = []
    matched, rewritten, beyond = [0], [], []
    for record in records:
        try:
            verify(record.statement, record.minisig, public_key)
            signed = read_statement(record.statement)
            check_note(signed, record.note, public_key)
        except (SignatureError, ValueError) as exc:
            problems.add(
                1, f"witness record {record.name}: not a checkpoint the key signed ({exc})"
            )
            continue
        seq = signed["seq"]
        timeline.append((signed["time"], seq, record.name))
        if signed["investigation"] != reference:
            problems.add(1, f"witness record {record.name} is about {signed['investigation']}")
        elif seq > last:
            beyond.append((seq, signed["time"]))
        elif roots.heads.get(seq) != signed["head"] or (
            "root" in signed and roots.at.get(seq, b"").hex() != signed["root"]
        ):
            rewritten.append((seq, signed["time"]))
        else:
            matched.append(seq)
    if beyond:
        seq, time = max(beyond)
        problems.add(
            last + 1,
            f"entries {last + 1}..{seq}: witnessed at {time} but missing from the database "
            "(deleted with their checkpoints: truncated or rolled back)",
        )
    if rewritten:
        seq, time = min(rewritten)
        since = max(size for size in matched if size < seq) + 1
        span = f"entry {seq}" if since == seq else f"entries {since}..{seq}"
        problems.add(
            since,
            f"{span}: not what the witness recorded at {time} (rewritten after witnessing)",
        )
    timeline.sort()
    for (time_a, seq_a, _), (time_b, seq_b, name_b) in zip(timeline, timeline[1:], strict=False):
        if seq_b < seq_a:
            problems.add(
                seq_b + 1,
                f"witness record {name_b} ({time_b}) covers fewer entries than one from {time_a} "
                f"({seq_b} < {seq_a}): the ledger was rolled back and re-signed",
            )
    witnessed = {record.digest for record in records}
    sql = _ROOTED_STATEMENTS_SQL if all_checkpoints else _NEWEST_ROOTED_STATEMENT_SQL
    unwitnessed = [
        seq
        for seq, statement in reader.rows(sql, (investigation_id,))
        if hashlib.sha256(bytes(statement)).hexdigest() not in witnessed
    ]
    if unwitnessed:
        shown = ", ".join(str(seq) for seq in unwitnessed[:10])
        more = f" and {len(unwitnessed) - 10} more" if len(unwitnessed) > 10 else ""
        problems.add(
            unwitnessed[0],
            f"checkpoint(s) at entries {shown}{more}: not witnessed (the witness directory "
            "was unavailable; `flask custody witness` writes them)",
        )


def _find_rewritten_span(
    reader: LedgerReader, investigation_id: str, last: int, problems: _Problems
) -> None:
    mismatch = reader.first(_MISMATCHED_CHECKPOINTS_SQL, (investigation_id, last))
    if mismatch is None:
        return
    _id, seq = mismatch
    good = reader.first(_LAST_GOOD_CHECKPOINT_SQL, (investigation_id, seq))
    since = (good[0] or 0) + 1 if good else 1
    span = f"entry {seq}" if since == seq else f"entries {since}..{seq}"
    problems.add(
        since,
        f"{span}: not what the checkpoint at entry {seq} recorded "
        "(rewritten and rehashed after signing, or the checkpoint was forged)",
    )


def _check_checkpoint(
    reader: LedgerReader,
    investigation_id: str,
    reference: str,
    keys: dict[str, str],
    row: tuple[bytes, str, bytes | None],
    roots: dict[int, bytes],
) -> tuple[int, str, str, str] | str:
    """(seq, time, key id, head) of a checkpoint that verifies and matches the chain, or why not."""
    statement, minisig, note = row
    statement = bytes(statement)
    key_id = _signature_key_id(minisig)
    if key_id is None:
        return "the signature is not in the minisign format"
    if key_id not in keys:
        return f"signed by key {key_id}, which is not an organisation key"
    try:
        verify(statement, minisig, keys[key_id])
    except SignatureError:
        return "signature does not verify: forged or altered checkpoint"
    try:
        signed = read_statement(statement)
        check_note(signed, note, keys[key_id])
    except ValueError as exc:
        return str(exc)
    if signed["investigation"] != reference:
        return f"the signed statement is about {signed['investigation']}, not {reference}"
    actual = reader.scalar(_ENTRY_HASH_SQL, investigation_id, signed["seq"])
    if actual is None:
        return f"it signs entry {signed['seq']}, which is missing (deleted)"
    if actual != signed["head"]:
        return f"entry {signed['seq']} is not the entry that was signed (rewritten after signing)"
    if "root" in signed and roots.get(signed["seq"], b"").hex() != signed["root"]:
        return (
            f"the Merkle root it signs is not the root of entries 1..{signed['seq']} "
            "(a body rewritten, inserted or reordered)"
        )
    return signed["seq"], signed["time"], key_id, signed["head"]


def check_note(signed: dict, note: bytes | None, public_key: str) -> None:
    """Check a v2 statement's C2SP signed note: signed by the key, saying the same thing."""
    if signed["type"] == CHECKPOINT_TYPE:
        return
    if note is None:
        raise ValueError("its signed note (the tlog checkpoint) is missing")
    _key_id, key = parse_public_key(public_key)
    raw_key = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    try:
        origin = parse_checkpoint_body(bytes(note).partition(b"\n\n")[0] + b"\n").origin
        name, _sep, reference = origin.rpartition("/custody/")
        body = parse_checkpoint_body(verify_note(bytes(note), name, raw_key))
    except NoteError as exc:
        raise ValueError(f"its signed note does not verify ({exc})") from None
    if (reference, body.size, body.root.hex(), body.chain_head, body.time) != (
        signed["investigation"],
        signed["seq"],
        signed["root"],
        signed["head"],
        signed["time"],
    ):
        raise ValueError("its signed note and its statement disagree")


def _signature_key_id(minisig: str) -> str | None:
    lines = minisig.splitlines()
    if len(lines) < 2:
        return None
    try:
        packed = base64.b64decode(lines[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    return key_id_hex(packed[2:10]) if len(packed) == 74 else None


class TreeRoots:
    """Recomputes the Merkle tree from the bodies as rows pass, keeping roots at chosen sizes.

    Takes the rows verify_chain reads and yields them unchanged; ``at[size]`` is the root
    of entries 1..size for every wanted size the rows reached.
    """

    def __init__(self, sizes: set[int]) -> None:
        self.sizes = sizes
        self.at: dict[int, bytes] = {}
        self.heads: dict[int, str] = {}  # entry hash at each wanted size

    def rows(self, rows: Iterator[tuple]) -> Iterator[tuple]:
        sha256 = hashlib.sha256
        frontier: list[bytes] = []
        pop, push, sizes, at = frontier.pop, frontier.append, self.sizes, self.at
        size = 0
        for row in rows:
            body = row[4]
            # A body missing here fails the chain check; what would it add to the tree?
            node = sha256(b"\x00" + body).digest() if body is not None else b""
            index = size
            while index & 1:
                node = sha256(b"\x01" + pop() + node).digest()
                index >>= 1
            push(node)
            size += 1
            if size in sizes:
                at[size] = frontier_root(frontier)
                self.heads[size] = row[3]
            yield row


class LedgerReader:
    """Raw DBAPI access for verification: plain tuples, one snapshot per ledger."""

    def __init__(self, engine: Engine) -> None:
        self._proxy = engine.raw_connection()
        self._dbapi = self._proxy.driver_connection
        self._postgres = engine.dialect.name == "postgresql"

    def begin_snapshot(self) -> None:
        # One snapshot for entries and checkpoints: a writer committing meanwhile (entries
        # and their checkpoint together) is either wholly seen or wholly unseen, never half.
        cursor = self._dbapi.cursor()
        if self._postgres:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        else:
            # sqlite3 only opens transactions before writes; open the read one by hand.
            cursor.execute("BEGIN")

    def end(self) -> None:
        self._dbapi.rollback()

    def close(self) -> None:
        self._dbapi.rollback()
        self._proxy.close()

    def stream(self, sql: str, params: tuple) -> Iterator[tuple]:
        """Rows as plain tuples, without loading a whole ledger into memory."""
        if self._postgres:
            cursor = self._dbapi.cursor(name="custody_verify")  # server-side, in batches
            cursor.itersize = 20_000
        else:
            cursor = self._dbapi.cursor()
            cursor.arraysize = 20_000
        cursor.execute(self._sql(sql), params)
        return iter(cursor)

    def rows(self, sql: str, params: tuple) -> list[tuple]:
        cursor = self._dbapi.cursor()
        cursor.execute(self._sql(sql), params)
        return cursor.fetchall()

    def first(self, sql: str, params: tuple) -> tuple | None:
        cursor = self._dbapi.cursor()
        cursor.execute(self._sql(sql), params)
        return cursor.fetchone()

    def scalar(self, sql: str, *params: object) -> object:
        row = self.first(sql, params)
        return row[0] if row else None

    def _sql(self, sql: str) -> str:
        # Statements here are written with "?" (sqlite3); psycopg takes "%s".
        return sql.replace("?", "%s") if self._postgres else sql
