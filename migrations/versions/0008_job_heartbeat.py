"""job heartbeat: when a running job last showed signs of life, and which runner holds it

A job whose runner died (kill -9, a restarted web process, a lost machine) stops beating;
app/jobs/stale.py marks it failed with the reason, so nothing stays "running" forever.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 05:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("runner", sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("runner")
        batch_op.drop_column("heartbeat_at")
