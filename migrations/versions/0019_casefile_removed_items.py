"""casefile_removed_items: a removed case-file item kept, encrypted, until its undo window ends

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 20:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "casefile_removed_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("casefile_id", sa.String(length=36), nullable=False),
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("case_item_id", sa.String(length=36), nullable=False),
        sa.Column("item_type", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("snapshot", sa.LargeBinary(), nullable=False),
        sa.Column("removed_by_id", sa.String(length=36), nullable=True),
        sa.Column("removed_at", sa.DateTime(), nullable=False),
        sa.Column("restorable_until", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["casefile_id"],
            ["casefiles.id"],
            name=op.f("fk_casefile_removed_items_casefile_id_casefiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_casefile_removed_items_investigation_id_investigations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["removed_by_id"],
            ["users.id"],
            name=op.f("fk_casefile_removed_items_removed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_casefile_removed_items")),
    )
    with op.batch_alter_table("casefile_removed_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_casefile_removed_items_casefile_id"), ["casefile_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_casefile_removed_items_investigation_id"),
            ["investigation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_casefile_removed_items_restorable_until"),
            ["restorable_until"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("casefile_removed_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_casefile_removed_items_restorable_until"))
        batch_op.drop_index(batch_op.f("ix_casefile_removed_items_investigation_id"))
        batch_op.drop_index(batch_op.f("ix_casefile_removed_items_casefile_id"))
    op.drop_table("casefile_removed_items")
