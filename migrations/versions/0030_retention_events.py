"""retention events: when an investigation was closed; rule events up to 24 characters (issue 23)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 02:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("investigations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("retention_rules", schema=None) as batch_op:
        batch_op.alter_column(
            "event", existing_type=sa.String(length=16), type_=sa.String(length=24)
        )


def downgrade():
    with op.batch_alter_table("retention_rules", schema=None) as batch_op:
        batch_op.alter_column(
            "event", existing_type=sa.String(length=24), type_=sa.String(length=16)
        )
    with op.batch_alter_table("investigations", schema=None) as batch_op:
        batch_op.drop_column("closed_at")
