"""OpenRosa incident reports: a submission may become an incident (issue 22, item 2)

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-06 06:00:00.000000

Adds `openrosa_submissions.incident_id`, what an incident-report submission became (as
`interview_id` and `witness_id` record the other forms'). No data moves: existing rows are
interviews and witnesses.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("openrosa_submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("incident_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_openrosa_submissions_incident_id_incidents"),
            "incidents",
            ["incident_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade():
    with op.batch_alter_table("openrosa_submissions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_openrosa_submissions_incident_id_incidents"), type_="foreignkey"
        )
        batch_op.drop_column("incident_id")
