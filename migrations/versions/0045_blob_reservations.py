"""Blob reservations: blobs a request holds before any row names them, kept from `blobs gc`

The files of an encrypted submission an intake node keeps are recorded only all together, at
the end of a request that can take hours; `blobs gc` deleted the ones that came first.
New table only; no data moves.

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-06 16:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None

TABLE = "blob_reservations"


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("blob_key", sa.String(length=200), nullable=False),
        sa.Column("reserved_until", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("blob_key", name=op.f(f"pk_{TABLE}")),
    )
    with op.batch_alter_table(TABLE) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{TABLE}_reserved_until"), ["reserved_until"])


def downgrade():
    op.drop_table(TABLE)
