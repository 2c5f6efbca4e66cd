"""custody leaf salts: a secret per entry bound into its Merkle leaf (issue 14, item 1)

Entries written from now on get 32 random bytes, disclosed only with their own body, so the
leaf hash of a withheld neighbour in an inclusion proof no longer confirms a guessed body.
Existing entries keep no salt: their leaves (format v1) are what their checkpoints signed.

Revision ID: 0031
Revises: 0029
Create Date: 2026-12-06 02:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0031"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    # Adding a nullable column rewrites no row: the append-only trigger does not fire.
    with op.batch_alter_table("custody_entries") as batch_op:
        batch_op.add_column(sa.Column("leaf_salt", sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table("custody_entries") as batch_op:
        batch_op.drop_column("leaf_salt")
