"""custody leaf salts and cosignatures: a secret per entry bound into its Merkle leaf, other
instances' countersignatures of checkpoints and, on a witness, the heads it cosigned (issue 14)

Entries written from now on get 32 random bytes, disclosed only with their own body, so the
leaf hash of a withheld neighbour in an inclusion proof no longer confirms a guessed body.
Existing entries keep no salt: their leaves (format v1) are what their checkpoints signed.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 02:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    # Adding a nullable column rewrites no row: the append-only trigger does not fire.
    with op.batch_alter_table("custody_entries") as batch_op:
        batch_op.add_column(sa.Column("leaf_salt", sa.LargeBinary(), nullable=True))
    op.create_table(
        "custody_cosignatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("statement", sa.LargeBinary(), nullable=False),
        sa.Column("minisig", sa.Text(), nullable=False),
        sa.Column("witness_key_id", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_custody_cosignatures_investigation_id_investigations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_cosignatures")),
        sa.UniqueConstraint(
            "investigation_id",
            "seq",
            "witness_key_id",
            name=op.f("uq_custody_cosignatures_investigation_id"),
        ),
    )
    op.create_index(
        op.f("ix_custody_cosignatures_investigation_id"),
        "custody_cosignatures",
        ["investigation_id"],
    )
    op.create_table(
        "custody_cosigned_heads",
        sa.Column("log_key_id", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("cosigned_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("log_key_id", "reference", name=op.f("pk_custody_cosigned_heads")),
    )


def downgrade():
    op.drop_table("custody_cosigned_heads")
    op.drop_index(op.f("ix_custody_cosignatures_investigation_id"), "custody_cosignatures")
    op.drop_table("custody_cosignatures")
    with op.batch_alter_table("custody_entries") as batch_op:
        batch_op.drop_column("leaf_salt")
