"""access records: reads of identities, testimony and evidence with a stated reason (issue 15)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 20:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "access_records",
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("user_email", sa.String(length=254), nullable=False),
        sa.Column("user_role", sa.String(length=16), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("reason_text", sa.LargeBinary(), nullable=True),
        sa.Column("hour", sa.DateTime(), nullable=False),
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("reads", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_access_records_investigation_id_investigations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_records")),
        sa.UniqueConstraint(
            "user_id",
            "object_type",
            "object_id",
            "kind",
            "hour",
            name=op.f("uq_access_records_user_id"),
        ),
    )
    with op.batch_alter_table("access_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_access_records_investigation_hour", ["investigation_id", "hour"], unique=False
        )
        batch_op.create_index("ix_access_records_object", ["object_type", "object_id"], unique=False)


def downgrade():
    with op.batch_alter_table("access_records", schema=None) as batch_op:
        batch_op.drop_index("ix_access_records_object")
        batch_op.drop_index("ix_access_records_investigation_hour")
    op.drop_table("access_records")
