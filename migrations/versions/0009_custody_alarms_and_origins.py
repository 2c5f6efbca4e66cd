"""custody alarms and entry origins: broken ledgers found before signing; keyed client digests

custody_alarms records a ledger that failed the check before signing (app/custody/presign.py)
until an admin acknowledges it. custody_entry_origins keeps "from where" as a keyed digest
outside the hashed bodies, purged after CUSTOS_CUSTODY_ORIGIN_DAYS.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 17:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "custody_alarms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("bad_seq", sa.Integer(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by_id", sa.String(length=36), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["users.id"],
            name=op.f("fk_custody_alarms_acknowledged_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_custody_alarms_investigation_id_investigations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_alarms")),
    )
    with op.batch_alter_table("custody_alarms", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_custody_alarms_acknowledged_at"), ["acknowledged_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_custody_alarms_investigation_id"), ["investigation_id"], unique=False
        )
    op.create_table(
        "custody_entry_origins",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["custody_entries.id"],
            name=op.f("fk_custody_entry_origins_entry_id_custody_entries"),
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_custody_entry_origins")),
    )
    with op.batch_alter_table("custody_entry_origins", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_custody_entry_origins_recorded_at"), ["recorded_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("custody_entry_origins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_entry_origins_recorded_at"))
    op.drop_table("custody_entry_origins")
    with op.batch_alter_table("custody_alarms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_alarms_investigation_id"))
        batch_op.drop_index(batch_op.f("ix_custody_alarms_acknowledged_at"))
    op.drop_table("custody_alarms")
