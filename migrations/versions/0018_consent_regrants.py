"""consent re-grants after a withdrawal, approved by a second reviewer (issue 16)

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-05 20:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0014"
branch_labels = None
depends_on = None


def _fk(column: str, table: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{table}.id"],
        name=op.f(f"fk_consent_regrants_{column}_{table}"),
        ondelete=ondelete,
    )


def upgrade():
    op.create_table(
        "consent_regrants",
        sa.Column("witness_id", sa.String(length=36), nullable=False),
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("based_on_id", sa.String(length=36), nullable=False),
        sa.Column("interview", sa.Boolean(), nullable=False),
        sa.Column("legal_proceedings", sa.Boolean(), nullable=False),
        sa.Column("un_sharing", sa.Boolean(), nullable=False),
        sa.Column("publication", sa.Boolean(), nullable=False),
        sa.Column("named", sa.Boolean(), nullable=False),
        sa.Column("obtained_by_id", sa.String(length=36), nullable=True),
        sa.Column("obtained_on", sa.Date(), nullable=False),
        sa.Column("language", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("requested_by_id", sa.String(length=36), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.String(length=36), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("record_id", sa.String(length=36), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        _fk("witness_id", "witnesses", "RESTRICT"),
        _fk("investigation_id", "investigations", "RESTRICT"),
        _fk("based_on_id", "witness_consents", "RESTRICT"),
        _fk("obtained_by_id", "users", "SET NULL"),
        _fk("document_id", "evidence_items", "RESTRICT"),
        _fk("requested_by_id", "users", "SET NULL"),
        _fk("decided_by_id", "users", "SET NULL"),
        _fk("record_id", "witness_consents", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_regrants")),
    )
    with op.batch_alter_table("consent_regrants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_regrants_witness_id"), ["witness_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consent_regrants_investigation_id"), ["investigation_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("consent_regrants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_regrants_investigation_id"))
        batch_op.drop_index(batch_op.f("ix_consent_regrants_witness_id"))
    op.drop_table("consent_regrants")
