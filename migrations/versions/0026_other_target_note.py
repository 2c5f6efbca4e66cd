"""incidents: a note saying what an "other" target was; the target type "other"

The note is sealed like the incident's description (SealedText, stored as bytes). The type
"other" joins the shipped list (app/taxonomy/targets.yaml) at its end, unless it exists already.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 23:40:00

"""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

target_types = sa.table(
    "target_types",
    sa.column("code", sa.String),
    sa.column("label", sa.String),
    sa.column("position", sa.Integer),
    sa.column("active", sa.Boolean),
    sa.column("updated_at", sa.DateTime),
)


def upgrade():
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_note", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    exists = connection.execute(
        sa.select(target_types.c.code).where(target_types.c.code == "other")
    ).first()
    if exists is None:
        last = connection.execute(sa.select(sa.func.max(target_types.c.position))).scalar()
        op.bulk_insert(
            target_types,
            [
                {
                    "code": "other",
                    "label": "Other (say what in the note)",
                    "position": (last or 0) + 1,
                    "active": True,
                    "updated_at": datetime.now(timezone.utc).replace(tzinfo=None),
                }
            ],
        )


def downgrade():
    connection = op.get_bind()
    used = connection.execute(
        sa.text("SELECT 1 FROM incident_targets WHERE target_code = 'other' LIMIT 1")
    ).first()
    if used is None:
        connection.execute(target_types.delete().where(target_types.c.code == "other"))
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("target_note")
