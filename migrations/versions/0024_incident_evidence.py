"""incident evidence: evidence items linked to incidents, with what each shows (issue 22, item 1)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 23:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "incident_evidence",
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("evidence_id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("shows", sa.String(length=16), nullable=False),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        sa.Column("linked_by_id", sa.String(length=36), nullable=True),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_incident_evidence_evidence_id_evidence_items"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_evidence_incident_id_incidents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_incident_evidence_investigation_id_investigations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"],
            ["users.id"],
            name=op.f("fk_incident_evidence_linked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_evidence")),
        sa.UniqueConstraint("evidence_id", "incident_id", name="uq_incident_evidence_pair"),
    )
    with op.batch_alter_table("incident_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_evidence_evidence_id"), ["evidence_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incident_evidence_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incident_evidence_investigation_id"), ["investigation_id"], unique=False
        )
    with op.batch_alter_table("upload_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("incident_link", sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table("upload_sessions", schema=None) as batch_op:
        batch_op.drop_column("incident_link")
    with op.batch_alter_table("incident_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_evidence_investigation_id"))
        batch_op.drop_index(batch_op.f("ix_incident_evidence_incident_id"))
        batch_op.drop_index(batch_op.f("ix_incident_evidence_evidence_id"))
    op.drop_table("incident_evidence")
