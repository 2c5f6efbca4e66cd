"""custody timestamps: RFC 3161 tokens of signed checkpoints, and their retry queue

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 17:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "custody_timestamps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("tsa_url", sa.String(length=500), nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=True),
        sa.Column("gen_time", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["custody_checkpoints.id"],
            name=op.f("fk_custody_timestamps_checkpoint_id_custody_checkpoints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_timestamps")),
        sa.UniqueConstraint(
            "checkpoint_id", "tsa_url", name=op.f("uq_custody_timestamps_checkpoint_id")
        ),
    )
    with op.batch_alter_table("custody_timestamps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_custody_timestamps_checkpoint_id"), ["checkpoint_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_custody_timestamps_next_attempt_at"), ["next_attempt_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("custody_timestamps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_timestamps_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_custody_timestamps_checkpoint_id"))
    op.drop_table("custody_timestamps")
