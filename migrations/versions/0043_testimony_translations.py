"""testimony translations: versions of a sealed testimony or addendum in another language

Each row names the content hash it translates, its source and target languages (BCP 47),
its method (human, or machine with engine and version), its translator and its reviser; it
is a draft (text sealed like a transcript) until a second person seals it (issue 21, item 3).

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-06 06:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

TABLE = "testimony_translations"


def _fk(column, target, ondelete="RESTRICT"):
    table = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{TABLE}_{column}_{table}"), ondelete=ondelete
    )


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        sa.Column("interview_id", sa.String(length=36), nullable=False),
        sa.Column("addendum_id", sa.String(length=36), nullable=True),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("source_language", sa.String(length=16), nullable=False),
        sa.Column("target_language", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("engine", sa.String(length=64), nullable=True),
        sa.Column("engine_version", sa.String(length=32), nullable=True),
        sa.Column("translator_id", sa.String(length=36), nullable=False),
        sa.Column("reviser_id", sa.String(length=36), nullable=True),
        sa.Column("supersedes_id", sa.String(length=36), nullable=True),
        sa.Column("text", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("sealed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        _fk("addendum_id", "interview_addenda.id"),
        _fk("interview_id", "interviews.id"),
        _fk("investigation_id", "investigations.id"),
        _fk("reviser_id", "users.id"),
        _fk("supersedes_id", f"{TABLE}.id"),
        _fk("translator_id", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        for column in ("interview_id", "investigation_id", "translator_id"):
            batch_op.create_index(batch_op.f(f"ix_{TABLE}_{column}"), [column], unique=False)


def downgrade():
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        for column in ("interview_id", "investigation_id", "translator_id"):
            batch_op.drop_index(batch_op.f(f"ix_{TABLE}_{column}"))
    op.drop_table(TABLE)
