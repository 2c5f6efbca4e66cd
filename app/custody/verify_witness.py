"""The database's ledger against the witness records kept outside it (custody-format.md s.10)."""

from __future__ import annotations

import hashlib

from app.crypto.minisign import SignatureError, verify
from app.custody import witness
from app.custody.chain import read_statement
from app.custody.verify_checkpoints import Problems, check_note, key_for
from app.custody.verify_pass import TreeRoots
from app.custody.verify_reader import LedgerReader

_ROOTED_STATEMENTS_SQL = (
    "SELECT seq, statement FROM custody_checkpoints WHERE investigation_id = ? AND root IS NOT NULL"
    " ORDER BY seq, id"
)
_NEWEST_ROOTED_STATEMENT_SQL = (
    "SELECT seq, statement FROM custody_checkpoints WHERE investigation_id = ? AND root IS NOT NULL"
    " ORDER BY seq DESC, id DESC LIMIT 1"
)


def witnessed_sizes_of(records: list[witness.WitnessRecord]) -> dict[str, int]:
    """Each record's claimed size, by file name (its signature is checked later)."""
    sizes = {}
    for record in records:
        try:
            sizes[record.name] = read_statement(record.statement)["seq"]
        except ValueError:
            continue
    return sizes


def compare_with_witness(
    reader: LedgerReader,
    investigation_id: str,
    reference: str,
    keys: dict[str, str],
    records: list[witness.WitnessRecord],
    sizes: dict[str, int],
    state: tuple[int, TreeRoots, bool],
    problems: Problems,
) -> None:
    """The database against the witness: nothing witnessed is missing or different, every
    checkpoint is witnessed, and the witnessed sizes only grow with time."""
    last, roots, all_checkpoints = state
    timeline = []
    matched, rewritten, beyond = [0], [], []
    for record in records:
        try:
            public_key = key_for(record.minisig, keys)
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
