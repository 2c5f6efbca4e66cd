"""tombstones name the rule that brought an item due; Object Lock holds waiting to be retried

`evidence_tombstones.rule_id`: the retention rule under which a destroyed item had come due
(empty for destruction asked without one). `object_lock_pending`: blobs whose Object Lock
legal hold could not be set or cleared after a commit, retried by the worker's maintenance
round and shown to reviewers until the object store agrees (issue 23).

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-06 06:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("evidence_tombstones", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_evidence_tombstones_rule_id_retention_rules"),
            "retention_rules",
            ["rule_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    op.create_table(
        "object_lock_pending",
        sa.Column("blob_key", sa.String(length=200), nullable=False),
        sa.Column("investigation_id", sa.String(length=36), nullable=True),
        sa.Column("want_hold", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_object_lock_pending_investigation_id_investigations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("blob_key", name=op.f("pk_object_lock_pending")),
    )
    with op.batch_alter_table("object_lock_pending", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_object_lock_pending_investigation_id"), ["investigation_id"]
        )


def downgrade():
    with op.batch_alter_table("object_lock_pending", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_object_lock_pending_investigation_id"))
    op.drop_table("object_lock_pending")
    with op.batch_alter_table("evidence_tombstones", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_evidence_tombstones_rule_id_retention_rules"), type_="foreignkey"
        )
        batch_op.drop_column("rule_id")
