"""tools/verify_custody.py, run as prosecutors run it: valid exports pass, every tampering fails."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.crypto.canonical import canonical_json
from app.crypto.minisign import SigningKey
from app.custody.chain import GENESIS_HASH, body_digest, entry_hash, head_statement, verify_chain
from app.custody.checkpoints import trusted_comment

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_custody.py"
REF = "INV-2024-0007"
COUNT = 12

Row = tuple[int, str, str, str, bytes | None]


def load_tool():
    spec = importlib.util.spec_from_file_location("verify_custody", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = load_tool()


def make_body(seq: int, tag: str = "original", investigation: str = REF) -> bytes:
    return canonical_json(
        {
            "investigation": investigation,
            "actor": {
                "type": "user",
                "id": "u-1",
                "email": "ana.müller@example.org",
                "role": "lead",
            },
            "action": "viewed",
            "object": {"type": "evidence", "id": f"EV-{seq}"},
            "time": "2024-05-01T10:00:00.000000Z",
            "details": {"tag": tag},
        }
    )


def rechain(bodies: list[bytes]) -> list[Row]:
    rows, prev = [], GENESIS_HASH
    for seq, body in enumerate(bodies, start=1):
        digest = body_digest(body)
        current = entry_hash(seq, prev, digest)
        rows.append((seq, prev, digest, current, body))
        prev = current
    return rows


def to_line(row: Row) -> str:
    seq, prev, digest, current, body = row
    text = None if body is None else body.decode("utf-8")
    entry = {"seq": seq, "prev": prev, "body_sha256": digest, "hash": current, "body": text}
    return json.dumps(entry)


@dataclass
class Export:
    directory: Path
    key: SigningKey
    rows: list[Row]

    @property
    def ledger(self) -> Path:
        return self.directory / "custody-ledger.jsonl"

    @property
    def checkpoint(self) -> Path:
        return self.directory / "checkpoint.json"

    @property
    def signature(self) -> Path:
        return self.directory / "checkpoint.json.minisig"

    def write_ledger(self, rows: list[Row]) -> None:
        self.ledger.write_text("".join(to_line(row) + "\n" for row in rows))


def write_export(directory: Path, rows: list[Row], key: SigningKey | None = None) -> Export:
    export = Export(directory, key or SigningKey.generate(), rows)
    export.write_ledger(rows)
    seq, head, time = rows[-1][0], rows[-1][3], "2024-05-01T12:00:00.000000Z"
    statement = head_statement(REF, seq, head, time)
    export.checkpoint.write_bytes(statement)
    export.signature.write_text(export.key.sign(statement, trusted_comment(REF, seq, head, time)))
    return export


@pytest.fixture
def export(tmp_path: Path) -> Export:
    return write_export(tmp_path, rechain([make_body(seq) for seq in range(1, COUNT + 1)]))


def run_tool(*args: str | Path, key: str | None = None, cwd: Path | None = None):
    command = [sys.executable, str(TOOL), *map(str, args)]
    if key is not None:
        command += ["--public-key", key]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=cwd)


def run_on(export: Export, key: SigningKey | None = None):
    return run_tool(
        export.ledger,
        "--checkpoint",
        export.checkpoint,
        "--signature",
        export.signature,
        key=(key or export.key).public_key_string(),
    )


def test_valid_export_verifies_with_a_one_line_summary(export: Export) -> None:
    result = run_on(export)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"OK: {REF} entries 1..{COUNT}, head {export.rows[-1][3]},"
        f" checkpoint signed by key {export.key.key_id_hex()}\n"
    )


def test_public_key_file_and_default_paths_are_accepted(export: Export) -> None:
    pub = export.directory / "custos.pub"
    pub.write_text(export.key.public_key_file())
    result = run_tool(export.ledger, "--public-key-file", pub)
    assert result.returncode == 0, result.stderr


def test_redacted_export_verifies(tmp_path: Path) -> None:
    rows = rechain([make_body(seq) for seq in range(1, COUNT + 1)])
    redacted = [(s, p, d, h, None if s in (2, 5, COUNT) else b) for s, p, d, h, b in rows]
    result = run_on(write_export(tmp_path, redacted))
    assert result.returncode == 0, result.stderr


def test_help_explains_checks_and_exit_status() -> None:
    result = run_tool("--help")
    assert result.returncode == 0
    assert "--public-key-file" in result.stdout and "exit status" in result.stdout


def test_unreadable_input_is_a_usage_error(export: Export) -> None:
    export.signature.unlink()
    assert run_on(export).returncode == 2


def test_exported_checkpoint_verifies_with_real_minisign(export: Export) -> None:
    binary = shutil.which("minisign")
    if binary is None:
        pytest.fail(
            "the minisign binary is missing: run `make system-deps` (Debian package minisign)"
        )
    result = subprocess.run(
        [binary, "-Vm", str(export.checkpoint), "-P", export.key.public_key_string()],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


def test_tool_runs_alone_without_the_application(export: Export, tmp_path_factory) -> None:
    elsewhere = tmp_path_factory.mktemp("prosecutor")
    shutil.copy(TOOL, elsewhere / "verify_custody.py")
    command = [sys.executable, "-I", "verify_custody.py", str(export.ledger)]
    command += ["--public-key", export.key.public_key_string()]
    result = subprocess.run(command, capture_output=True, text=True, cwd=elsewhere, timeout=60)
    assert result.returncode == 0, result.stderr
    assert not re.search(r"^\s*(from|import)\s+app\b", TOOL.read_text(), re.MULTILINE)


# --- tampering: each variant edits what an attacker with write access could edit -------


def replace_row(rows: list[Row], index: int, **changes: object) -> list[Row]:
    fields = dict(zip(("seq", "prev", "digest", "hash", "body"), rows[index], strict=True))
    fields.update(changes)
    return rows[:index] + [tuple(fields.values())] + rows[index + 1 :]


def forged_insert(rows: list[Row]) -> list[Row]:
    # Correctly linked and hashed forgery at seq 5; later entries renumbered, not rehashed.
    forged = make_body(5, "forged")
    prev = rows[3][3]
    row = (5, prev, body_digest(forged), entry_hash(5, prev, body_digest(forged)), forged)
    return rows[:4] + [row] + [(seq + 1, *rest) for seq, *rest in rows[4:]]


def bodies(rows: list[Row]) -> list[bytes]:
    return [row[4] for row in rows]


LEDGER_TAMPERING: dict[str, tuple[Callable[[list[Row]], list[Row]], str]] = {
    "modified body": (
        lambda rows: replace_row(rows, 4, body=rows[4][4].replace(b"original", b"tampered")),
        "entry 5: body hash mismatch (modified)",
    ),
    "modified hash": (
        lambda rows: replace_row(rows, 4, hash="f" * 64),
        "entry 5: entry hash mismatch (modified)",
    ),
    "modified redacted digest": (
        lambda rows: replace_row(rows, 4, body=None, digest="a" * 64),
        "entry 5: entry hash mismatch (modified)",
    ),
    "deleted entry": (
        lambda rows: rows[:4] + rows[5:],
        "entry 5: sequence gap, expected 5 got 6 (deleted)",
    ),
    "swapped entries": (
        lambda rows: rows[:4] + [rows[5], rows[4]] + rows[6:],
        "entry 5: out of order, found entry 6 (reordered)",
    ),
    "inserted forged entry": (forged_insert, "entry 6: prev hash does not match entry 5"),
    "inserted entry, all later entries rehashed": (
        lambda rows: rechain(bodies(rows)[:4] + [make_body(5, "forged")] + bodies(rows)[4:]),
        f"ledger runs to entry {COUNT + 1} but the checkpoint covers only 1..{COUNT}",
    ),
    "rewritten entry, all later entries rehashed": (
        lambda rows: rechain(bodies(rows)[:4] + [make_body(5, "forged")] + bodies(rows)[5:]),
        f"entry {COUNT}: hash differs from the signed checkpoint head",
    ),
    "deleted last entry": (
        lambda rows: rows[:-1],
        f"checkpoint covers entries 1..{COUNT} but the ledger ends at entry {COUNT - 1}",
    ),
}


@pytest.mark.parametrize("variant", LEDGER_TAMPERING)
def test_tampered_ledger_is_rejected(export: Export, variant: str) -> None:
    tamper, message = LEDGER_TAMPERING[variant]
    export.write_ledger(tamper(export.rows))
    result = run_on(export)
    assert result.returncode == 1
    assert result.stderr.startswith(f"FAILED: {message}")


def test_tampered_checkpoint_statement_is_rejected(export: Export) -> None:
    statement = export.checkpoint.read_bytes()
    export.checkpoint.write_bytes(statement.replace(b'"seq":12', b'"seq":11'))
    result = run_on(export)
    assert (result.returncode, result.stderr) == (
        1,
        "FAILED: checkpoint signature does not verify\n",
    )


def test_tampered_trusted_comment_is_rejected(export: Export) -> None:
    export.signature.write_text(export.signature.read_text().replace(REF, "INV-0000-0000"))
    assert run_on(export).stderr == "FAILED: checkpoint signature does not verify\n"


def test_checkpoint_signed_by_another_key_is_rejected(export: Export) -> None:
    other = SigningKey.generate()
    result = run_on(export, key=other)
    assert result.returncode == 1
    assert f"not by the given key {other.key_id_hex()}" in result.stderr


def test_body_of_another_investigation_is_rejected(tmp_path: Path) -> None:
    stray = [
        make_body(seq, investigation="INV-1999-0001" if seq == 3 else REF) for seq in range(1, 6)
    ]
    result = run_on(write_export(tmp_path, rechain(stray)))
    assert result.stderr == f"FAILED: entry 3: body does not belong to investigation {REF}\n"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "ledger line 3: not a JSON object"),
        ('{"seq": 3}', "ledger line 3: fields must be"),
        ("[]", "ledger line 3: fields must be"),
    ],
)
def test_malformed_ledger_line_is_rejected(export: Export, line: str, message: str) -> None:
    lines = export.ledger.read_text().splitlines()
    lines[2] = line
    export.ledger.write_text("\n".join(lines) + "\n")
    assert run_on(export).stderr.startswith(f"FAILED: {message}")


# --- two implementations, one format --------------------------------------------------


hex64 = st.text("0123456789abcdef", min_size=64, max_size=64)


@given(seq=st.integers(1, 2**53), prev=hex64, body=st.binary(max_size=512))
def test_tool_and_chain_compute_the_same_hashes(seq: int, prev: str, body: bytes) -> None:
    digest = body_digest(body)
    assert tool.body_digest(body) == digest
    assert tool.entry_hash(seq, prev, digest) == entry_hash(seq, prev, digest)


def as_entries(rows: list[Row]) -> list[dict]:
    return [json.loads(to_line(row)) for row in rows]


@pytest.mark.parametrize("variant", [v for v in LEDGER_TAMPERING if "rehashed" not in v])
def test_tool_and_chain_name_the_same_first_bad_entry(export: Export, variant: str) -> None:
    rows = LEDGER_TAMPERING[variant][0](export.rows)
    report = verify_chain(rows)
    try:
        last_seq, head, _redacted = tool.verify_entries(as_entries(rows))
    except tool.VerificationError as exc:
        assert str(exc).startswith(f"entry {report.bad_seq}:")
    else:
        assert (report.ok, report.last_seq, report.head) == (True, last_seq, head)


def test_tool_and_chain_agree_on_a_valid_redacted_ledger(export: Export) -> None:
    rows = [(s, p, d, h, None if s % 2 else b) for s, p, d, h, b in export.rows]
    report = verify_chain(rows)
    assert tool.verify_entries(as_entries(rows), REF) == (report.last_seq, report.head, 6)


def _body_with(**changes: object) -> dict:
    body = json.loads(make_body(5))
    for member, value in changes.items():
        if value is None:
            del body[member]
        else:
            body[member] = value
    return body


MALFORMED_BODIES = {
    "not canonical (spaces)": json.dumps(_body_with(), sort_keys=True).encode(),
    "not canonical (member order)": json.dumps(_body_with(), ensure_ascii=False).encode(),
    "not canonical (escaped text)": json.dumps(
        _body_with(), sort_keys=True, separators=(",", ":")
    ).encode(),
    "extra member": canonical_json(_body_with(note="added later")),
    "missing member": canonical_json(_body_with(details=None)),
    "unknown action": canonical_json(_body_with(action="evidence.viewed")),
    "actor with a name": canonical_json(
        _body_with(actor={"type": "user", "id": "u-1", "name": "Ana"})
    ),
    "time without microseconds": canonical_json(_body_with(time="2024-05-01T10:00:00Z")),
    "time with an offset": canonical_json(_body_with(time="2024-05-01T10:00:00.000000+00:00")),
    "impossible date": canonical_json(_body_with(time="2024-02-30T10:00:00.000000Z")),
}


@pytest.mark.parametrize("body", MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
def test_a_malformed_body_fails_even_when_chained_and_signed(tmp_path: Path, body: bytes) -> None:
    bodies = [make_body(seq) for seq in range(1, COUNT + 1)]
    bodies[4] = body  # entry 5, re-chained and signed as if the organisation wrote it
    export = write_export(tmp_path, rechain(bodies))

    result = run_on(export)

    assert result.returncode == 1
    assert result.stderr.startswith("FAILED: entry 5: malformed body, "), result.stderr
    lenient = run_tool(export.ledger, "--lenient-bodies", key=export.key.public_key_string())
    assert lenient.returncode == 0, lenient.stderr


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=20,
)


@given(json_values)
def test_the_tools_canonical_form_is_rfc_8785(value: object) -> None:
    assert tool.jcs(value) == canonical_json(value)


def test_an_evidence_file_whose_received_entry_is_withheld_is_named(tmp_path: Path) -> None:
    photo = b"\xff\xd8 a photo \xff\xd9"
    received = json.loads(make_body(1))
    received |= {"action": "received", "details": {"sha256": body_digest(photo)}}
    rows = rechain([canonical_json(received), make_body(2)])
    folder = tmp_path / "data" / "items" / "001-evidence-EV-1"
    (folder / "original").mkdir(parents=True)
    (folder / "original" / "photo.jpg").write_bytes(photo)
    (folder / "metadata.json").write_text(
        json.dumps({"item_type": "evidence", "id": "EV-1", "files": ["original/photo.jpg"]})
    )
    entries = tool.read_ledger("".join(to_line(row) + "\n" for row in rows).encode())
    assert tool.verify_bag_files(tmp_path, entries) == 1

    entries[0]["body"] = None  # the received entry withheld: nothing vouches for the file
    with pytest.raises(tool.VerificationError) as failure:
        tool.verify_bag_files(tmp_path, entries)
    assert str(failure.value) == (
        "data/items/001-evidence-EV-1/original/photo.jpg: no disclosed `received` entry records"
        " its hash (the ledger does not vouch for it)"
    )


def test_the_tool_knows_exactly_the_actions_the_ledger_writes_and_the_format_lists() -> None:
    from app.custody.ledger import CustodyAction

    doc = (TOOL.parents[1] / "docs" / "custody-format.md").read_text(encoding="utf-8")
    listed = doc[doc.index("### 1.1 Actions") : doc.index("What each records")]
    assert tool.ACTIONS == {action.value for action in CustodyAction}
    assert set(re.findall(r"`(\w+)`", listed)) == tool.ACTIONS
