"""sealed sizes: the bytes stored per sealed field of witnesses, interviews and incidents,
readable by an intake node's role for its receipts (issue 17)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 23:30:00

Adds `sealed_sizes` (JSON: field name to sealed size) and fills it for existing rows from the
length of each sealed column, in batches by primary key. Downgrading drops the column.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

SEALED_COLUMNS = {
    "witnesses": ("full_name", "date_of_birth", "contact", "current_location"),
    "interviews": ("place", "interpreter", "transcript", "notes"),
    "incidents": ("casualties_reported_by", "description"),
}
BATCH = 500


def upgrade():
    for table_name in SEALED_COLUMNS:
        op.add_column(table_name, sa.Column("sealed_sizes", sa.JSON(), nullable=True))
    bind = op.get_bind()
    for table_name, column_names in SEALED_COLUMNS.items():
        table = sa.table(
            table_name,
            sa.column("id", sa.String),
            sa.column("sealed_sizes", sa.JSON),
            *(sa.column(name, sa.LargeBinary) for name in column_names),
        )
        lengths = [sa.func.length(table.c[name]) for name in column_names]
        last_id = None
        while True:
            query = sa.select(table.c.id, *lengths).order_by(table.c.id).limit(BATCH)
            if last_id is not None:
                query = query.where(table.c.id > last_id)
            rows = bind.execute(query).all()
            for row_id, *sizes in rows:
                recorded = {
                    name: int(size)
                    for name, size in zip(column_names, sizes, strict=True)
                    if size is not None
                }
                bind.execute(
                    sa.update(table).where(table.c.id == row_id).values(sealed_sizes=recorded)
                )
            if len(rows) < BATCH:
                break
            last_id = rows[-1][0]


def downgrade():
    for table_name in SEALED_COLUMNS:
        op.drop_column(table_name, "sealed_sizes")
