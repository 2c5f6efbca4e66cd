"""docs/custody-format.md's worked example and signature test vectors, recomputed by the code.

Every `name = value` line of section 14 is read from the document and compared with what
the application computes, so the specification and the implementation cannot drift apart.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from app.crypto import merkle
from app.crypto.minisign import SigningKey, verify
from app.crypto.note import checkpoint_body, parse_checkpoint_body, sign_note
from app.custody.chain import GENESIS_HASH, body_digest, entry_hash, read_statement, tree_statement
from app.custody.checkpoints import trusted_comment
from tools import verify_custody

DOC = Path(__file__).resolve().parents[2] / "docs" / "custody-format.md"
KEY = SigningKey.from_private_bytes(bytes(range(1, 33)), bytes(range(1, 9)))
UNTRUSTED = "signature from custos checkpoint key"


@pytest.fixture(scope="module")
def example() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## 14. Worked example") :]
    return dict(re.findall(r"^    (\w+) = (.+)$", section, flags=re.M))


def test_the_entries_hash_as_documented(example):
    prev = GENESIS_HASH
    for n in (1, 2):
        body = example[f"body_{n}"].encode("utf-8")
        assert body_digest(body) == example[f"body_sha256_{n}"]
        prev = entry_hash(n, prev, body_digest(body))
        assert prev == example[f"entry_hash_{n}"]
        assert merkle.leaf_hash(body).hex() == example[f"leaf_hash_{n}"]


def test_the_tree_root_and_statement_are_as_documented(example):
    bodies = [example["body_1"].encode(), example["body_2"].encode()]
    root = merkle.root_of(map(merkle.leaf_hash, bodies))[1]
    assert root.hex() == example["root"]
    statement = tree_statement(
        "INV-2024-0007", 2, example["entry_hash_2"], root.hex(), "2024-05-01T12:00:00.000000Z"
    )
    assert statement.decode() == example["statement"]
    assert read_statement(statement)["type"] == "custos-checkpoint-v2"


def test_the_salted_leaf_vector_is_what_both_implementations_compute(example):
    from app.custody.tree import entry_leaf

    salt = bytes.fromhex(example["salt_2"])
    assert salt == bytes(range(0x21, 0x41))
    body_1, body_2 = example["body_1"].encode(), example["body_2"].encode()
    for leaf_of in (entry_leaf, verify_custody.entry_leaf):
        assert leaf_of(body_2, salt).hex() == example["salted_leaf_hash_2"]
        assert leaf_of(body_1, None).hex() == example["leaf_hash_1"]
    leaves = [entry_leaf(body_1, None), entry_leaf(body_2, salt)]
    assert merkle.root_of(leaves)[1].hex() == example["mixed_root"]


def test_the_minisign_vector_is_what_the_key_signs_and_what_both_verifiers_accept(example):
    assert KEY.public_key_string() == example["public_key"]
    assert KEY.key_id_hex() == example["key_id"]
    statement = example["statement"].encode()
    signed = read_statement(statement)
    comment = trusted_comment(
        "INV-2024-0007", 2, signed["head"], signed["time"], bytes.fromhex(signed["root"])
    )
    assert comment == example["trusted_comment"]
    minisig = KEY.sign(statement, comment, UNTRUSTED)
    assert minisig.split("\n") == [
        f"untrusted comment: {UNTRUSTED}",
        example["minisig_line_2"],
        f"trusted comment: {example['trusted_comment']}",
        example["minisig_line_4"],
        "",
    ]
    assert verify(statement, minisig, example["public_key"]) == comment
    parsed, key_id = verify_custody.verify_signed_statement(
        statement, minisig.encode(), example["public_key"]
    )
    assert (parsed["seq"], key_id) == (2, example["key_id"])


def test_the_signed_note_vector_is_what_the_key_signs(example):
    root = bytes.fromhex(example["root"])
    body = checkpoint_body(
        "custos.example.org/custody/INV-2024-0007",
        2,
        root,
        example["entry_hash_2"],
        "2024-05-01T12:00:00.000000Z",
    )
    assert body.decode().split("\n")[:5] == [example[f"note_line_{n}"] for n in range(1, 6)]
    assert base64.b64decode(example["note_line_3"]) == root
    note = sign_note(body, "custos.example.org", KEY.public_key_bytes(), KEY.sign_raw)
    assert note.decode().split("\n")[-2] == example["note_signature"]
    assert parse_checkpoint_body(body).size == 2


def test_the_python_one_liner_of_section_2_runs_and_agrees(example):
    import hashlib  # noqa: F401  (the one-liner's namespace)

    text = DOC.read_text(encoding="utf-8")
    (line,) = re.findall(r"^`(hashlib\.sha256\(f\"custos-ledger-v1.+)`\.$", text, flags=re.M)
    namespace = {
        "hashlib": hashlib,
        "seq": 1,
        "prev_hash": GENESIS_HASH,
        "body_sha256": example["body_sha256_1"],
    }
    assert eval(line, namespace) == example["entry_hash_1"]  # noqa: S307 (our own document)
