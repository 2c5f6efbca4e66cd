"""incidents: an approximate time (give or take uncertainty_minutes) and a range of days

A range entered without times (from the start of its first day to the end of its last) becomes
a range of days, so that it reads "10 to 12 November 2015" rather than with invented times.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 21:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

incidents = sa.table(
    "incidents",
    sa.column("id", sa.String),
    sa.column("time_certainty", sa.String),
    sa.column("occurred_from", sa.DateTime),
    sa.column("occurred_to", sa.DateTime),
)


def upgrade():
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uncertainty_minutes", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_incidents_uncertainty_range"),
            "uncertainty_minutes IS NULL OR "
            "(uncertainty_minutes >= 1 AND uncertainty_minutes <= 1440)",
        )
    connection = op.get_bind()
    ranges = connection.execute(
        sa.select(incidents.c.id, incidents.c.occurred_from, incidents.c.occurred_to).where(
            incidents.c.time_certainty == "range", incidents.c.occurred_to.is_not(None)
        )
    ).all()
    whole_days = [
        row.id
        for row in ranges
        if (row.occurred_from.hour, row.occurred_from.minute, row.occurred_from.second) == (0, 0, 0)
        and (row.occurred_to.hour, row.occurred_to.minute, row.occurred_to.second) == (23, 59, 59)
    ]
    if whole_days:
        connection.execute(
            incidents.update().where(incidents.c.id.in_(whole_days)).values(time_certainty="days")
        )


def downgrade():
    connection = op.get_bind()
    connection.execute(
        incidents.update()
        .where(incidents.c.time_certainty == "days")
        .values(time_certainty="range")
    )
    connection.execute(
        incidents.update()
        .where(incidents.c.time_certainty == "about")
        .values(time_certainty="exact")
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_incidents_uncertainty_range"), type_="check")
        batch_op.drop_column("uncertainty_minutes")
