"""export_ledger: the standalone verifier accepts what the app exports, rejects tampered copies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.custody.export import LedgerExportError, export_ledger
from app.custody.ledger import append_custody_event
from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "verify_custody.py"


def verify_tool(folder: Path, public_key: str, *extra) -> subprocess.CompletedProcess:
    """The standalone verifier, run as an outsider runs it: its own process, no app."""
    return subprocess.run(
        [
            sys.executable,
            str(TOOL),
            str(folder / "custody-ledger.jsonl"),
            "--public-key",
            public_key,
            *map(str, extra),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=folder,
    )


@pytest.fixture
def exported(app_ctx, investigation, tmp_path):
    """A ledger about two items, exported for item A only."""
    for object_id in ("item-a", "item-b", "item-a", "item-b"):
        append_custody_event(
            investigation.id, "system:test", "viewed", "evidence", object_id, {"n": 1}
        )
        db.session.commit()
    out = tmp_path / "export"
    export_ledger(investigation, {"item-a"}, out)
    db.session.commit()
    return out


def lines(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "custody-ledger.jsonl").read_text().splitlines()]


def write_lines(folder: Path, entries: list[dict]) -> None:
    text = "".join(json.dumps(entry) + "\n" for entry in entries)
    (folder / "custody-ledger.jsonl").write_text(text)


def test_the_standalone_verifier_accepts_the_export(exported, public_key, investigation):
    result = verify_tool(exported, public_key)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"OK: {investigation.reference} entries 1..4, head ")


def test_entries_about_other_objects_are_redacted_but_keep_their_hashes(exported):
    entries = lines(exported)
    assert [e["seq"] for e in entries] == [1, 2, 3, 4]
    assert [e["body"] is None for e in entries] == [False, True, False, True]
    assert all(len(e["body_sha256"]) == 64 for e in entries)
    assert "item-b" not in (exported / "custody-ledger.jsonl").read_text()
    statement = json.loads((exported / "checkpoint.json").read_bytes())
    assert (statement["seq"], statement["head"]) == (4, entries[-1]["hash"])


def test_the_signature_also_verifies_with_minisign(exported, public_key):
    result = subprocess.run(
        ["minisign", "-Vm", str(exported / "checkpoint.json"), "-P", public_key],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_a_full_export_carries_every_body(app_ctx, investigation, public_key, tmp_path):
    append_custody_event(investigation.id, None, "exported", "casefile", "cf-1", {})
    db.session.commit()
    export_ledger(investigation, None, tmp_path)
    assert all(e["body"] for e in lines(tmp_path))
    assert verify_tool(tmp_path, public_key).returncode == 0


def _modify_body(entries):
    entries[0]["body"] = entries[0]["body"].replace('"n":1', '"n":2')


def _delete_line(entries):
    del entries[1]


def _swap_lines(entries):
    entries[1], entries[2] = entries[2], entries[1]


def _drop_the_last_line(entries):
    entries.pop()


def _unredact_with_a_forged_body(entries):
    entries[1]["body"] = entries[0]["body"]


def _insert_rehashed_line(entries):
    import hashlib

    forged = dict(entries[-1])
    forged["seq"] = 5
    forged["prev"] = entries[-1]["hash"]
    forged["hash"] = hashlib.sha256(
        f"custos-ledger-v1\n5\n{forged['prev']}\n{forged['body_sha256']}".encode()
    ).hexdigest()
    entries.append(forged)


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_modify_body, "entry 1: body hash mismatch"),
        (_delete_line, "entry 2: sequence gap"),
        (_swap_lines, "entry 2: out of order"),
        (_drop_the_last_line, "entries 4..4 deleted"),
        (_unredact_with_a_forged_body, "entry 2: body hash mismatch"),
        (_insert_rehashed_line, "not covered by the signature"),
    ],
)
def test_the_standalone_verifier_rejects_each_tampered_copy(exported, public_key, tamper, message):
    entries = lines(exported)
    tamper(entries)
    write_lines(exported, entries)
    result = verify_tool(exported, public_key)
    assert result.returncode == 1
    assert message in result.stderr


def test_a_tampered_checkpoint_is_rejected(exported, public_key):
    statement = exported / "checkpoint.json"
    statement.write_bytes(statement.read_bytes().replace(b'"seq":4', b'"seq":3'))
    result = verify_tool(exported, public_key)
    assert result.returncode == 1
    assert "checkpoint signature does not verify" in result.stderr


def test_exporting_a_broken_ledger_is_refused(app_ctx, investigation, run_sql, tmp_path):
    for _ in range(2):
        append_custody_event(investigation.id, None, "viewed", "evidence", "e", {})
        db.session.commit()
    from tests.conftest import backend

    if backend() == "postgresql":
        run_sql("ALTER TABLE custody_entries DISABLE TRIGGER custody_entries_append_only")
    try:
        run_sql("DELETE FROM custody_entries WHERE seq = 1")
    finally:
        if backend() == "postgresql":
            run_sql("ALTER TABLE custody_entries ENABLE TRIGGER custody_entries_append_only")
    with pytest.raises(LedgerExportError, match="entry 1: sequence gap"):
        export_ledger(investigation, None, tmp_path)


def test_an_empty_ledger_cannot_be_exported(app_ctx, investigation, tmp_path):
    with pytest.raises(LedgerExportError, match="no custody entries"):
        export_ledger(investigation, None, tmp_path)
