"""evidence acquisition: each item's Berkeley Protocol acquisition record (issue 20, item 4)

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-06 03:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "evidence_acquisition",
        sa.Column("evidence_id", sa.String(length=36), nullable=False),
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("online_link", sa.LargeBinary(), nullable=True),
        sa.Column("online_title", sa.LargeBinary(), nullable=True),
        sa.Column("acquired_at", sa.DateTime(), nullable=True),
        sa.Column("method", sa.String(length=32), nullable=True),
        sa.Column("method_note", sa.LargeBinary(), nullable=True),
        sa.Column("acquired_from", sa.LargeBinary(), nullable=True),
        sa.Column("generation", sa.String(length=16), nullable=True),
        sa.Column("original_location", sa.LargeBinary(), nullable=True),
        sa.Column("edited", sa.String(length=8), nullable=True),
        sa.Column("edit_note", sa.LargeBinary(), nullable=True),
        sa.Column("hashes_at_acquisition", sa.String(length=2000), nullable=True),
        sa.Column("updated_by_id", sa.String(length=36), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_evidence_acquisition_evidence_id_evidence_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_evidence_acquisition_investigation_id_investigations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_evidence_acquisition_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_acquisition")),
        sa.UniqueConstraint("evidence_id", name=op.f("uq_evidence_acquisition_evidence_id")),
    )
    with op.batch_alter_table("evidence_acquisition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evidence_acquisition_investigation_id"), ["investigation_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("evidence_acquisition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_acquisition_investigation_id"))
    op.drop_table("evidence_acquisition")
