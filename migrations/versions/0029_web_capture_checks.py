"""web-capture checks: a WACZ/WARC item's sealed check result (issue 20, item 1)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 00:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "web_capture_checks",
        sa.Column("evidence_id", sa.String(length=36), nullable=False),
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("result", sa.LargeBinary(), nullable=False),
        sa.Column("result_sha256", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_web_capture_checks_evidence_id_evidence_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_web_capture_checks_investigation_id_investigations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_capture_checks")),
    )
    with op.batch_alter_table("web_capture_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_web_capture_checks_checked_at"), ["checked_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_web_capture_checks_evidence_id"), ["evidence_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_web_capture_checks_investigation_id"), ["investigation_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("web_capture_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_capture_checks_investigation_id"))
        batch_op.drop_index(batch_op.f("ix_web_capture_checks_evidence_id"))
        batch_op.drop_index(batch_op.f("ix_web_capture_checks_checked_at"))
    op.drop_table("web_capture_checks")
