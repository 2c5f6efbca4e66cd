"""wacz keys: anonymous WACZ signing keys pinned per investigation (issue 20, item 2)

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-06 06:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "wacz_keys",
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("evidence_id", sa.String(length=36), nullable=True),
        sa.Column("pinned_by_id", sa.String(length=36), nullable=True),
        sa.Column("pinned_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_wacz_keys_evidence_id_evidence_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_wacz_keys_investigation_id_investigations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["pinned_by_id"],
            ["users.id"],
            name=op.f("fk_wacz_keys_pinned_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wacz_keys")),
        sa.UniqueConstraint(
            "investigation_id", "fingerprint", name=op.f("uq_wacz_keys_investigation_id")
        ),
    )
    with op.batch_alter_table("wacz_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wacz_keys_investigation_id"), ["investigation_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("wacz_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wacz_keys_investigation_id"))
    op.drop_table("wacz_keys")
