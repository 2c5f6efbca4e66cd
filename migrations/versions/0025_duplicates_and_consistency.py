"""duplicate evidence links, PDQ fingerprints and consistency checks (issue 19, items 3 and 4)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 23:14:27.735993

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "consistency_checks",
        sa.Column("evidence_id", sa.String(length=36), nullable=False),
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("result", sa.LargeBinary(), nullable=False),
        sa.Column("result_sha256", sa.String(length=64), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("checked_by_id", sa.String(length=36), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["checked_by_id"],
            ["users.id"],
            name=op.f("fk_consistency_checks_checked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_consistency_checks_evidence_id_evidence_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_consistency_checks_investigation_id_investigations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consistency_checks")),
    )
    with op.batch_alter_table("consistency_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consistency_checks_checked_at"), ["checked_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consistency_checks_evidence_id"), ["evidence_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consistency_checks_investigation_id"), ["investigation_id"], unique=False
        )

    op.create_table(
        "evidence_links",
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("first_id", sa.String(length=36), nullable=False),
        sa.Column("second_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=True),
        sa.Column("first_share", sa.Float(), nullable=True),
        sa.Column("second_share", sa.Float(), nullable=True),
        sa.Column("implementation", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.String(length=36), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.CheckConstraint("first_id <> second_id", name=op.f("ck_evidence_links_two_items")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_evidence_links_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["first_id"],
            ["evidence_items.id"],
            name=op.f("fk_evidence_links_first_id_evidence_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_evidence_links_investigation_id_investigations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["second_id"],
            ["evidence_items.id"],
            name=op.f("fk_evidence_links_second_id_evidence_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_links")),
        sa.UniqueConstraint(
            "first_id", "second_id", "kind", name=op.f("uq_evidence_links_first_id")
        ),
    )
    with op.batch_alter_table("evidence_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_links_first_id"), ["first_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_evidence_links_investigation_id"), ["investigation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_evidence_links_second_id"), ["second_id"], unique=False
        )

    op.create_table(
        "media_fingerprints",
        sa.Column("evidence_id", sa.String(length=36), nullable=False),
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("implementation", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_media_fingerprints_evidence_id_evidence_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_media_fingerprints_investigation_id_investigations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_fingerprints")),
        sa.UniqueConstraint(
            "evidence_id", "implementation", name=op.f("uq_media_fingerprints_evidence_id")
        ),
    )
    with op.batch_alter_table("media_fingerprints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_media_fingerprints_evidence_id"), ["evidence_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_media_fingerprints_investigation_id"), ["investigation_id"], unique=False
        )

    op.create_table(
        "fingerprint_frames",
        sa.Column("fingerprint_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=False),
        sa.Column("hash_hex", sa.String(length=64), nullable=False),
        sa.Column("dihedral_hex", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["fingerprint_id"],
            ["media_fingerprints.id"],
            name=op.f("fk_fingerprint_frames_fingerprint_id_media_fingerprints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fingerprint_frames")),
    )
    with op.batch_alter_table("fingerprint_frames", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fingerprint_frames_fingerprint_id"), ["fingerprint_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("fingerprint_frames", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fingerprint_frames_fingerprint_id"))

    op.drop_table("fingerprint_frames")
    with op.batch_alter_table("media_fingerprints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_fingerprints_investigation_id"))
        batch_op.drop_index(batch_op.f("ix_media_fingerprints_evidence_id"))

    op.drop_table("media_fingerprints")
    with op.batch_alter_table("evidence_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_links_second_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_links_investigation_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_links_first_id"))

    op.drop_table("evidence_links")
    with op.batch_alter_table("consistency_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consistency_checks_investigation_id"))
        batch_op.drop_index(batch_op.f("ix_consistency_checks_evidence_id"))
        batch_op.drop_index(batch_op.f("ix_consistency_checks_checked_at"))

    op.drop_table("consistency_checks")
