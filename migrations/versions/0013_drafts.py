"""drafts: what a person typed into a form with long writing, kept as they type (app/drafts)

Encrypted like the records they become, tied to their author (deleted with the account).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 17:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "drafts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("form_key", sa.String(length=400), nullable=False),
        sa.Column("fields", sa.LargeBinary(), nullable=False),
        sa.Column("kept_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_drafts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
        sa.UniqueConstraint("user_id", "form_key", name="uq_drafts_user_form"),
    )
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drafts_kept_at"), ["kept_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_drafts_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drafts_user_id"))
        batch_op.drop_index(batch_op.f("ix_drafts_kept_at"))
    op.drop_table("drafts")
