"""OpenRosa sealed submissions: encrypted submissions an intake node keeps for the reading node

An intake node publishes the reading node's public form key and cannot open what comes back:
it stores the manifest (what ODK sends in clear) and each `.enc` file as a blob, until the
reading node opens them (`flask openrosa open-sealed`). New tables only; no data moves.

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-06 09:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None

SUBMISSIONS = "openrosa_sealed_submissions"
FILES = "openrosa_sealed_files"


def _fk(table, column, target):
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=op.f(f"fk_{table}_{column}_{target.split('.')[0]}"),
        ondelete="RESTRICT",
    )


def upgrade():
    op.create_table(
        SUBMISSIONS,
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=100), nullable=False),
        sa.Column("form_id", sa.String(length=64), nullable=False),
        sa.Column("form_version", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("refused_reason", sa.String(length=300), nullable=True),
        sa.Column("processed_at", sa.DateTime(), nullable=True),
        sa.Column("submission_id", sa.String(length=36), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        _fk(SUBMISSIONS, "investigation_id", "investigations.id"),
        _fk(SUBMISSIONS, "device_id", "openrosa_devices.id"),
        _fk(SUBMISSIONS, "user_id", "users.id"),
        _fk(SUBMISSIONS, "submission_id", "openrosa_submissions.id"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{SUBMISSIONS}")),
        sa.UniqueConstraint("investigation_id", "instance_id", name="uq_openrosa_sealed_instance"),
    )
    with op.batch_alter_table(SUBMISSIONS) as batch_op:
        batch_op.create_index(
            batch_op.f(f"ix_{SUBMISSIONS}_investigation_id"), ["investigation_id"]
        )
        batch_op.create_index(batch_op.f(f"ix_{SUBMISSIONS}_status"), ["status"])
    op.create_table(
        FILES,
        sa.Column("sealed_submission_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("blob_key", sa.String(length=200), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        _fk(FILES, "sealed_submission_id", f"{SUBMISSIONS}.id"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{FILES}")),
        sa.UniqueConstraint("sealed_submission_id", "name", name="uq_openrosa_sealed_file"),
        sa.UniqueConstraint("blob_key", name=op.f(f"uq_{FILES}_blob_key")),
    )
    with op.batch_alter_table(FILES) as batch_op:
        batch_op.create_index(
            batch_op.f(f"ix_{FILES}_sealed_submission_id"), ["sealed_submission_id"]
        )


def downgrade():
    op.drop_table(FILES)
    op.drop_table(SUBMISSIONS)
