"""Revision 0010 on a ledger written before the Merkle log: the tree is built over the entries
already there, the old (v1) checkpoints still verify, and the next checkpoint signs the root."""

from __future__ import annotations

import types
import uuid

import sqlalchemy as sa

from app.crypto import merkle
from app.crypto.canonical import canonical_json
from app.custody.chain import GENESIS_HASH, body_digest, entry_hash, head_statement
from tests.conftest import make_config
from tests.intake.test_migration_0004 import private_database  # noqa: F401  (fixture)

REFERENCE = "INV-2020-MIG-01"


def legacy_body(seq: int) -> bytes:
    """A body as releases before issue 15 wrote them, client address included."""
    return canonical_json(
        {
            "investigation": REFERENCE,
            "actor": {"type": "system", "id": "system:test", "ip": "198.51.100.4"},
            "action": "viewed",
            "object": {"type": "evidence", "id": f"ev-{seq}"},
            "time": f"2024-05-01T10:00:0{seq}.000000Z",
            "details": {},
        }
    )


def write_legacy_ledger(conn, investigation_id: str, key, bodies: list[bytes]) -> None:
    from app.custody.checkpoints import trusted_comment

    prev = GENESIS_HASH
    for seq, body in enumerate(bodies, start=1):
        this = entry_hash(seq, prev, body_digest(body))
        conn.execute(
            sa.text(
                "INSERT INTO custody_entries (investigation_id, seq, prev_hash, body, body_sha256,"
                " entry_hash, action, object_type, object_id, actor_id, time) VALUES (:inv, :seq,"
                " :prev, :body, :digest, :hash, 'viewed', 'evidence', :obj, 'system:test', :time)"
            ),
            {
                "inv": investigation_id,
                "seq": seq,
                "prev": prev,
                "body": body,
                "digest": body_digest(body),
                "hash": this,
                "obj": f"ev-{seq}",
                "time": f"2024-05-01 10:00:0{seq}.000000",
            },
        )
        if seq in (3, len(bodies)):
            when = f"2024-05-01T11:00:0{seq}.000000Z"
            statement = head_statement(REFERENCE, seq, this, when)
            conn.execute(
                sa.text(
                    "INSERT INTO custody_checkpoints (investigation_id, seq, head, time, statement,"
                    " minisig, key_id) VALUES (:inv, :seq, :head, :time, :st, :sig, :kid)"
                ),
                {
                    "inv": investigation_id,
                    "seq": seq,
                    "head": this,
                    "time": f"2024-05-01 11:00:0{seq}",
                    "st": statement,
                    "sig": key.sign(statement, trusted_comment(REFERENCE, seq, this, when)),
                    "kid": key.key_id_hex(),
                },
            )
        prev = this
    conn.execute(
        sa.text(
            "INSERT INTO custody_heads (investigation_id, seq, head_hash, updated_at)"
            " VALUES (:inv, :seq, :head, CURRENT_TIMESTAMP)"
        ),
        {"inv": investigation_id, "seq": len(bodies), "head": prev},
    )


def test_0010_builds_the_tree_over_existing_entries_and_old_checkpoints_still_verify(
    private_database,  # noqa: F811
    tmp_path,
):
    from flask_migrate import upgrade

    from app import create_app
    from app.custody.ledger import append_custody_event
    from app.custody.models import Checkpoint, LedgerAlarm
    from app.custody.tree import NodeReader, entry_leaf
    from app.custody.verify import verify_ledgers
    from app.extensions import db
    from app.security import org_keys
    from app.security.master_key import generate_master_key_file

    generate_master_key_file(tmp_path / "master.key")
    app = create_app(make_config(private_database, tmp_path))
    bodies = [legacy_body(seq) for seq in range(1, 6)]
    with app.app_context():
        upgrade(revision="0009")
        org_keys.init_keys(org_keys.keys_dir(), org_keys.master_key())
        # The investigation as 0009's schema holds it (the model has columns added since).
        investigation = types.SimpleNamespace(id=str(uuid.uuid4()))
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO investigations (id, reference, title, description, status,"
                    " created_at) VALUES (:id, :ref, 'legacy', '', 'open', CURRENT_TIMESTAMP)"
                ),
                {"id": investigation.id, "ref": REFERENCE},
            )
            write_legacy_ledger(conn, investigation.id, org_keys.signing_key(), bodies)

        upgrade()

        expected = merkle.root_of(merkle.leaf_hash(body) for body in bodies)
        assert NodeReader(db.session, investigation.id).root(5) == expected[1]
        (verdict,) = verify_ledgers(REFERENCE)  # every signature, the v1 ones included
        assert verdict.ok, verdict.problem
        assert verdict.signatures_checked == 2

        append_custody_event(investigation.id, "system:test", "viewed", "evidence", "ev-6", {})
        db.session.commit()
        newest = db.session.scalar(sa.select(Checkpoint).order_by(Checkpoint.seq.desc()).limit(1))
        entries = db.session.execute(
            sa.text("SELECT body, leaf_salt FROM custody_entries ORDER BY seq")
        ).all()
        # The entries written before leaf salts keep their v1 leaves; the new one is salted.
        assert [salt is None for _body, salt in entries] == [True] * 5 + [False]
        leaves = [entry_leaf(bytes(body), salt and bytes(salt)) for body, salt in entries]
        assert newest.seq == 6
        assert newest.root == merkle.root_of(leaves)[1].hex()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerAlarm)) == 0
        (verdict,) = verify_ledgers(REFERENCE)
        assert verdict.ok and verdict.signatures_checked == 3, verdict.problem
        db.engine.dispose()
