"""provenance checks: an item's C2PA or ProofMode verdict and sealed result, and the
ProofMode keys lawyers pinned (issue 19, items 1 and 2)

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 02:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "provenance_checks",
        sa.Column("evidence_id", sa.String(length=36), nullable=False),
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("result", sa.LargeBinary(), nullable=False),
        sa.Column("result_sha256", sa.String(length=64), nullable=False),
        sa.Column("trust_list_sha256", sa.String(length=64), nullable=True),
        sa.Column("checked_by_id", sa.String(length=36), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["checked_by_id"],
            ["users.id"],
            name=op.f("fk_provenance_checks_checked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_provenance_checks_evidence_id_evidence_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_provenance_checks_investigation_id_investigations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provenance_checks")),
    )
    with op.batch_alter_table("provenance_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provenance_checks_checked_at"), ["checked_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_provenance_checks_evidence_id"), ["evidence_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_provenance_checks_investigation_id"), ["investigation_id"], unique=False
        )

    op.create_table(
        "proofmode_keys",
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("evidence_id", sa.String(length=36), nullable=True),
        sa.Column("pinned_by_id", sa.String(length=36), nullable=True),
        sa.Column("pinned_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_proofmode_keys_evidence_id_evidence_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_proofmode_keys_investigation_id_investigations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_proofmode_keys_owner_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["pinned_by_id"],
            ["users.id"],
            name=op.f("fk_proofmode_keys_pinned_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proofmode_keys")),
        sa.UniqueConstraint(
            "investigation_id",
            "owner_id",
            "fingerprint",
            name=op.f("uq_proofmode_keys_investigation_id"),
        ),
    )
    with op.batch_alter_table("proofmode_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proofmode_keys_investigation_id"), ["investigation_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("proofmode_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proofmode_keys_investigation_id"))
    op.drop_table("proofmode_keys")
    with op.batch_alter_table("provenance_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provenance_checks_investigation_id"))
        batch_op.drop_index(batch_op.f("ix_provenance_checks_evidence_id"))
        batch_op.drop_index(batch_op.f("ix_provenance_checks_checked_at"))
    op.drop_table("provenance_checks")
