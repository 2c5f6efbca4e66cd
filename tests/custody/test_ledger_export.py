"""export_ledger: the standalone verifier accepts what the app exports, rejects tampered copies."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from app.crypto.canonical import canonical_json
from app.crypto.minisign import SigningKey
from app.custody.disclosure import disclosure_comment
from app.custody.export import LedgerExportError, export_ledger
from app.custody.ledger import append_custody_event
from app.custody.models import LedgerEntry
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


def stored_bodies() -> list[str]:
    rows = db.session.scalars(select(LedgerEntry.body).order_by(LedgerEntry.seq))
    return [bytes(body).decode("utf-8") for body in rows]


def write_lines(folder: Path, entries: list[dict]) -> None:
    text = "".join(json.dumps(entry) + "\n" for entry in entries)
    (folder / "custody-ledger.jsonl").write_text(text)


def test_the_standalone_verifier_accepts_the_export(exported, public_key, investigation):
    result = verify_tool(exported, public_key)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        f"OK: {investigation.reference} entries 1..4, 2 withheld (signed list), "
    )
    assert result.stdout.strip().endswith("2 inclusion proofs verified")


def test_an_export_carries_only_the_entries_about_its_items(exported):
    assert lines(exported) == [
        {"seq": seq, "body": body} for seq, body in zip([1, 3], stored_bodies()[::2], strict=True)
    ]


def test_the_signed_list_names_the_withheld_positions_and_their_count(exported):
    listed = json.loads((exported / "custody-withheld.json").read_bytes())
    assert (listed["disclosed"], listed["withheld"], listed["withheld_count"]) == (
        [1, 3],
        [[2, 2], [4, 4]],
        2,
    )
    statement = json.loads((exported / "checkpoint.json").read_bytes())
    assert (listed["tree_size"], listed["root"]) == (statement["seq"], statement["root"])


def test_of_a_withheld_entry_the_export_holds_no_body_digest_or_chain_hash(exported, run_sql):
    rows = run_sql("SELECT seq, body_sha256, entry_hash, body FROM custody_entries ORDER BY seq")
    withheld = [row for row in rows if row.seq in (2, 4)]
    files = {p: p.read_bytes() for p in exported.rglob("*") if p.is_file()}
    for row in withheld:
        secrets = [bytes(row.body), row.body_sha256.encode(), b"item-b"]
        for path, data in files.items():
            assert not any(secret in data for secret in secrets), path.name
            # The checkpoint's head is the chain hash of the last entry, whatever it is.
            if not path.name.startswith("checkpoint."):
                assert row.entry_hash.encode() not in data, path.name


def test_the_withheld_list_verifies_with_minisign_and_a_forged_one_does_not(exported, public_key):
    listed = exported / "custody-withheld.json"

    def minisign() -> subprocess.CompletedProcess:
        command = ["minisign", "-Vm", str(listed), "-P", public_key]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    genuine = minisign()
    assert genuine.returncode == 0, genuine.stderr
    assert "custos-disclosure-v1 " in genuine.stdout and ": 2 disclosed, 2 withheld at " in (
        genuine.stdout
    )
    listed.write_bytes(listed.read_bytes().replace(b'"withheld_count":2', b'"withheld_count":3'))
    assert minisign().returncode != 0


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
    assert not (tmp_path / "custody-withheld.json").exists()
    assert verify_tool(tmp_path, public_key).returncode == 0


def _modify_body(entries):
    entries[0]["body"] = entries[0]["body"].replace('"n":1', '"n":2')


def _drop_a_disclosed_entry(entries):
    del entries[1]


def _swap_lines(entries):
    entries[0], entries[1] = entries[1], entries[0]


def _disclose_a_withheld_position_with_a_forged_body(entries):
    entries.insert(1, {"seq": 2, "body": entries[0]["body"]})


def _write_a_chained_line(entries):
    entries[0]["prev"] = "0" * 64


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_modify_body, "entry 1: its body is not in the signed Merkle tree"),
        (_drop_a_disclosed_entry, "entry 3: the signed list says it is disclosed, but the ledger"),
        (_swap_lines, "out of order (reordered)"),
        (_disclose_a_withheld_position_with_a_forged_body, "entry 2: the signed list does not"),
        (_write_a_chained_line, "ledger line 1: fields must be ['body', 'seq']"),
    ],
)
def test_the_standalone_verifier_rejects_each_tampered_copy(exported, public_key, tamper, message):
    entries = lines(exported)
    tamper(entries)
    write_lines(exported, entries)
    result = verify_tool(exported, public_key)
    assert result.returncode == 1
    assert message in result.stderr


def _hide_a_disclosed_entry(folder: Path) -> None:
    listed = folder / "custody-withheld.json"
    forged = json.loads(listed.read_bytes())
    forged.update(disclosed=[1], withheld=[[2, 4]], withheld_count=3)
    listed.write_bytes(canonical_json(forged))
    write_lines(folder, lines(folder)[:1])


def _sign_the_forged_list_with_another_key(folder: Path) -> None:
    _hide_a_disclosed_entry(folder)
    listed = folder / "custody-withheld.json"
    forged = json.loads(listed.read_bytes())
    signature = SigningKey.generate().sign(listed.read_bytes(), disclosure_comment(forged))
    (folder / "custody-withheld.json.minisig").write_text(signature)


def _remove_the_list(folder: Path) -> None:
    (folder / "custody-withheld.json").unlink()
    (folder / "custody-withheld.json.minisig").unlink()


def _remove_its_signature(folder: Path) -> None:
    (folder / "custody-withheld.json.minisig").unlink()


@pytest.mark.parametrize(
    ("forge", "message"),
    [
        (_hide_a_disclosed_entry, "custody-withheld.json: its signature does not verify"),
        (_sign_the_forged_list_with_another_key, "not by the given key"),
        (_remove_the_list, "custody-withheld.json) is missing"),
        (_remove_its_signature, "custody-withheld.json: its signature does not verify"),
    ],
)
def test_a_forged_or_missing_withheld_list_is_rejected(exported, public_key, forge, message):
    forge(exported)
    result = verify_tool(exported, public_key)
    assert result.returncode == 1
    assert message in result.stderr


def test_a_genuine_list_from_another_export_is_rejected(
    app_ctx, exported, investigation, public_key
):
    append_custody_event(investigation.id, "system:test", "viewed", "evidence", "item-a", {"n": 1})
    db.session.commit()
    later = exported.parent / "later"
    export_ledger(investigation, {"item-a"}, later)
    db.session.commit()
    for name in ("custody-withheld.json", "custody-withheld.json.minisig"):
        (exported / name).write_bytes((later / name).read_bytes())
    result = verify_tool(exported, public_key)
    assert result.returncode == 1
    assert "about another tree than the signed checkpoint" in result.stderr


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


def test_the_list_says_in_its_signed_comment_what_it_states(exported, investigation):
    listed = json.loads((exported / "custody-withheld.json").read_bytes())
    assert listed["type"] == "custos-disclosure-v1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", listed["time"])
    untrusted, _sig, trusted, _global = (
        (exported / "custody-withheld.json.minisig").read_text().splitlines()
    )
    assert untrusted == "untrusted comment: signature from custos export key"
    assert trusted == (
        f"trusted comment: custos-disclosure-v1 {investigation.reference} entries 1..4"
        f" root {listed['root']}: 2 disclosed, 2 withheld at {listed['time']}"
    )


def _sign_with_the_org_key(folder: Path, change) -> None:
    from app.security import org_keys

    listed = folder / "custody-withheld.json"
    statement = json.loads(listed.read_bytes())
    change(statement)
    data = canonical_json(statement)
    listed.write_bytes(data)
    comment = disclosure_comment(statement)
    (folder / "custody-withheld.json.minisig").write_text(
        org_keys.signing_key().sign(data, comment, "x")
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.update(withheld=[[2, 2]]), "not the complement of the disclosed ones"),
        (lambda s: s.update(withheld_count=1), "not the complement of the disclosed ones"),
        (lambda s: s.update(disclosed=[3, 1]), "is not a custos-disclosure-v1 statement"),
    ],
)
def test_a_list_the_key_signed_but_that_contradicts_itself_is_rejected(
    exported, public_key, change, message
):
    _sign_with_the_org_key(exported, change)
    result = verify_tool(exported, public_key)
    assert result.returncode == 1
    assert message in result.stderr


def test_a_trusted_comment_that_says_otherwise_than_the_list_is_rejected(exported, public_key):
    from app.security import org_keys

    listed = exported / "custody-withheld.json"
    statement = json.loads(listed.read_bytes())
    comment = disclosure_comment(statement).replace("2 withheld", "0 withheld")
    signature = org_keys.signing_key().sign(listed.read_bytes(), comment, "x")
    (exported / "custody-withheld.json.minisig").write_text(signature)
    result = verify_tool(exported, public_key)
    assert result.returncode == 1
    assert "the signature's trusted comment" in result.stderr


def test_the_list_may_lie_elsewhere_given_with_withheld(exported, public_key, tmp_path):
    elsewhere = tmp_path / "lists"
    elsewhere.mkdir()
    for name in ("custody-withheld.json", "custody-withheld.json.minisig"):
        (exported / name).rename(elsewhere / name)
    assert verify_tool(exported, public_key).returncode == 1
    result = verify_tool(exported, public_key, "--withheld", elsewhere / "custody-withheld.json")
    assert result.returncode == 0, result.stderr


def stored_salts() -> list[bytes | None]:
    rows = db.session.scalars(select(LedgerEntry.leaf_salt).order_by(LedgerEntry.seq))
    return [None if salt is None else bytes(salt) for salt in rows]


def test_a_guessed_withheld_body_cannot_be_confirmed_against_the_proofs(exported):
    from app.crypto import merkle
    from app.custody.tree import entry_leaf

    proofs = json.loads((exported / "custody-proofs.json").read_bytes())
    sibling = proofs["inclusion"]["1"][0]  # entry 2 (withheld) is entry 1's sibling
    guess = stored_bodies()[1].encode()  # a guess right to the last byte
    assert sibling != merkle.leaf_hash(guess).hex()
    # Only entry 2's secret salt would confirm it, and that salt never leaves.
    salt = stored_salts()[1]
    assert sibling == entry_leaf(guess, salt).hex()
    shipped = b"".join(path.read_bytes() for path in exported.rglob("*") if path.is_file())
    assert salt.hex().encode() not in shipped and salt not in shipped
    assert set(proofs["salts"]) == {"1", "3"}  # the disclosed entries' salts only


def _proofs(folder: Path) -> dict:
    return json.loads((folder / "custody-proofs.json").read_bytes())


def _change_a_salt(proofs: dict) -> None:
    proofs["salts"]["3"] = "ee" * 32


def _drop_a_salt(proofs: dict) -> None:
    del proofs["salts"]["1"]


def _drop_every_salt(proofs: dict) -> None:
    del proofs["salts"]


def _give_a_withheld_entry_a_salt(proofs: dict) -> None:
    proofs["salts"]["2"] = "ee" * 32


def _malformed_salt(proofs: dict) -> None:
    proofs["salts"]["1"] = "not hex"


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_change_a_salt, "entry 3: its body is not in the signed Merkle tree"),
        (_drop_a_salt, "entry 1: its body is not in the signed Merkle tree"),
        (_drop_every_salt, "entry 1: its body is not in the signed Merkle tree"),
        (_give_a_withheld_entry_a_salt, "salts must map disclosed entry numbers"),
        (_malformed_salt, "the leaf salt of entry 1 must be"),
    ],
)
def test_the_verifier_rejects_a_disclosed_salt_changed_dropped_or_added(
    exported, public_key, tamper, message
):
    proofs = _proofs(exported)
    tamper(proofs)
    (exported / "custody-proofs.json").write_text(json.dumps(proofs))
    result = verify_tool(exported, public_key)
    assert result.returncode == 1
    assert message in result.stderr


def test_a_ledger_written_before_salts_still_exports_and_verifies_with_and_without_them(
    app_ctx, investigation, public_key, tmp_path, monkeypatch
):
    from app.custody import tree
    from app.custody.verify import verify_ledgers

    # Entries 1..3 as they were written before leaf salts (v1 leaves), signed then.
    monkeypatch.setattr(tree, "new_salt", lambda: None)
    for object_id in ("item-a", "item-b", "item-a"):
        append_custody_event(investigation.id, "system:test", "viewed", "evidence", object_id, {})
        db.session.commit()
    export_ledger(investigation, {"item-a"}, tmp_path / "old")
    db.session.commit()
    old = tmp_path / "old"
    assert _proofs(old)["salts"] == {}
    # An export written before salts has no "salts" member at all: still accepted.
    proofs = _proofs(old)
    del proofs["salts"]
    (old / "custody-proofs.json").write_text(json.dumps(proofs))
    assert verify_tool(old, public_key).returncode == 0, verify_tool(old, public_key).stderr

    monkeypatch.undo()
    for object_id in ("item-b", "item-a"):
        append_custody_event(investigation.id, "system:test", "viewed", "evidence", object_id, {})
        db.session.commit()
    assert [salt is None for salt in stored_salts()] == [True, True, True, False, False]
    export_ledger(investigation, {"item-a"}, tmp_path / "mixed")
    export_ledger(investigation, None, tmp_path / "whole")
    db.session.commit()
    assert set(_proofs(tmp_path / "mixed")["salts"]) == {"5"}
    assert set(_proofs(tmp_path / "whole")["salts"]) == {"4", "5"}
    for folder in ("mixed", "whole"):
        result = verify_tool(tmp_path / folder, public_key)
        assert result.returncode == 0, result.stderr
    (verdict,) = verify_ledgers(investigation.reference)
    assert verdict.ok and verdict.signatures_checked >= 2, verdict.problem
