"""custody merkle log: tree nodes per investigation, the frontier on the head, signed roots

Builds each existing ledger's RFC 9162 Merkle tree over the entries already there (leaf i
is entry i + 1's body): the subtree hashes in custody_tree_nodes and the frontier on the
head row. Checkpoints signed before stay as they are (v1 JSON statements, root NULL) and
verify as before; checkpoints signed from now on also commit to the tree's root.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 17:20:00

"""

import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    op.create_table(
        "custody_tree_nodes",
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_custody_tree_nodes_investigation_id_investigations"),
        ),
        sa.PrimaryKeyConstraint(
            "investigation_id", "level", "idx", name=op.f("pk_custody_tree_nodes")
        ),
    )
    with op.batch_alter_table("custody_checkpoints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("root", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("note", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("custody_heads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("frontier", sa.LargeBinary(), nullable=True))
    _build_trees(op.get_bind())
    with op.batch_alter_table("custody_heads", schema=None) as batch_op:
        batch_op.alter_column("frontier", existing_type=sa.LargeBinary(), nullable=False)


def _build_trees(conn) -> None:
    """The tree over every existing ledger, in one pass over its bodies (RFC 9162 s. 2.1)."""
    nodes_table = sa.table(
        "custody_tree_nodes",
        sa.column("investigation_id"),
        sa.column("level"),
        sa.column("idx"),
        sa.column("hash"),
    )
    heads = conn.execute(sa.text("SELECT investigation_id, seq FROM custody_heads")).all()
    for investigation_id, seq in heads:
        frontier: list[bytes] = []
        pending: list[dict] = []
        size = 0
        rows = conn.execute(
            sa.text(
                "SELECT seq, body FROM custody_entries WHERE investigation_id = :inv"
                " AND seq <= :seq ORDER BY seq"
            ),
            {"inv": investigation_id, "seq": seq},
        ).all()
        for entry_seq, body in rows:
            if entry_seq != size + 1:
                raise RuntimeError(
                    f"ledger {investigation_id} has a gap before entry {entry_seq}: "
                    "run `flask custody verify` on the previous release and resolve it first"
                )
            node = hashlib.sha256(b"\x00" + bytes(body)).digest()
            level, index = 0, size
            pending.append({"investigation_id": investigation_id, "level": 0, "idx": index, "hash": node})
            while index & 1:
                node = hashlib.sha256(b"\x01" + frontier.pop() + node).digest()
                level, index = level + 1, index >> 1
                pending.append(
                    {"investigation_id": investigation_id, "level": level, "idx": index, "hash": node}
                )
            frontier.append(node)
            size += 1
            if len(pending) >= BATCH:
                conn.execute(nodes_table.insert(), pending)
                pending = []
        if pending:
            conn.execute(nodes_table.insert(), pending)
        conn.execute(
            sa.text("UPDATE custody_heads SET frontier = :f WHERE investigation_id = :inv"),
            {"f": b"".join(frontier), "inv": investigation_id},
        )


def downgrade():
    with op.batch_alter_table("custody_heads", schema=None) as batch_op:
        batch_op.drop_column("frontier")
    with op.batch_alter_table("custody_checkpoints", schema=None) as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("root")
    op.drop_table("custody_tree_nodes")
