"""OpenRosa: per-device credentials, and submissions keyed by instanceID (issue 22, items 2-4)

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 02:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def _id():
    return sa.Column("id", sa.String(length=36), nullable=False)


def _fk(table, column, target, ondelete):
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade():
    op.create_table(
        "openrosa_devices",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("secret_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        _id(),
        _fk("openrosa_devices", "user_id", "users", "CASCADE"),
        _fk("openrosa_devices", "investigation_id", "investigations", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openrosa_devices")),
        sa.UniqueConstraint("username", name=op.f("uq_openrosa_devices_username")),
    )
    with op.batch_alter_table("openrosa_devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_openrosa_devices_user_id"), ["user_id"])
        batch_op.create_index(
            batch_op.f("ix_openrosa_devices_investigation_id"), ["investigation_id"]
        )
    op.create_table(
        "openrosa_submissions",
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=100), nullable=False),
        sa.Column("form_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("xml_sha256", sa.String(length=64), nullable=False),
        sa.Column("interview_id", sa.String(length=36), nullable=True),
        sa.Column("witness_id", sa.String(length=36), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        _id(),
        _fk("openrosa_submissions", "investigation_id", "investigations", "RESTRICT"),
        _fk("openrosa_submissions", "device_id", "openrosa_devices", "RESTRICT"),
        _fk("openrosa_submissions", "user_id", "users", "RESTRICT"),
        _fk("openrosa_submissions", "interview_id", "interviews", "RESTRICT"),
        _fk("openrosa_submissions", "witness_id", "witnesses", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openrosa_submissions")),
        sa.UniqueConstraint("investigation_id", "instance_id", name="uq_openrosa_instance"),
    )
    with op.batch_alter_table("openrosa_submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_openrosa_submissions_investigation_id"), ["investigation_id"]
        )
    op.create_table(
        "openrosa_attachments",
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("evidence_id", sa.String(length=36), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        _id(),
        _fk("openrosa_attachments", "submission_id", "openrosa_submissions", "RESTRICT"),
        _fk("openrosa_attachments", "evidence_id", "evidence_items", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openrosa_attachments")),
        sa.UniqueConstraint("submission_id", "name", name="uq_openrosa_attachment"),
    )
    with op.batch_alter_table("openrosa_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_openrosa_attachments_submission_id"), ["submission_id"]
        )


def downgrade():
    with op.batch_alter_table("openrosa_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_openrosa_attachments_submission_id"))
    op.drop_table("openrosa_attachments")
    with op.batch_alter_table("openrosa_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_openrosa_submissions_investigation_id"))
    op.drop_table("openrosa_submissions")
    with op.batch_alter_table("openrosa_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_openrosa_devices_investigation_id"))
        batch_op.drop_index(batch_op.f("ix_openrosa_devices_user_id"))
    op.drop_table("openrosa_devices")
