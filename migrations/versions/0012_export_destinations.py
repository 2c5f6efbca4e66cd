"""export destinations, requester-owned exports that expire and can be withdrawn

An export now names its destination (court, UN mechanism, partner, publication, internal
review), which decides the consent it needs; a finished export records the witnesses and
items it holds, so a later withdrawal of consent withdraws it, and it expires.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 17:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("casefile_exports", schema=None) as batch_op:
        # Exports made before destinations existed checked legal-proceedings consent: court.
        batch_op.add_column(
            sa.Column("destination", sa.String(length=32), nullable=False, server_default="court")
        )
        batch_op.add_column(sa.Column("unencrypted_reason", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("location_precision", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("witness_ids", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("item_refs", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_reason", sa.String(length=300), nullable=True))
        batch_op.create_index(op.f("ix_casefile_exports_expires_at"), ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("casefile_exports", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_casefile_exports_expires_at"))
        for column in (
            "withdrawn_reason",
            "withdrawn_at",
            "expires_at",
            "item_refs",
            "witness_ids",
            "location_precision",
            "unencrypted_reason",
            "destination",
        ):
            batch_op.drop_column(column)
