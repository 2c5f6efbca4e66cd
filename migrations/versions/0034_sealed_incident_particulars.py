"""sealed incident particulars: place name, area, coordinates and alleged perpetrators sealed to
the organisation's recipient as one value per incident (issue 17, item 1)

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 02:00:00

Adds `incidents.particulars` (binary: a JSON object sealed like every SealedText value, see
app/intake/particulars.py) and fills it, in batches by primary key, from the clear columns
`place_name`, `admin_area`, `latitude`, `longitude`, `precision_m` and the rows of
`incident_perpetrators` (in their order); records its size in `sealed_sizes`; then drops those
columns, their index and range checks, and the table. Sealing needs only the recipient, so it
runs on any node. Downgrading opens each value with the organisation identity (a reading node
only), puts the clear columns and the table back and drops the column. The JSON layout is
frozen here, as a migration must be; it is the one the app reads (format 1).
"""

import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

BATCH = 500
CLEAR = ("place_name", "admin_area", "latitude", "longitude", "precision_m")

incidents = sa.table(
    "incidents",
    sa.column("id", sa.String),
    sa.column("particulars", sa.LargeBinary),
    sa.column("sealed_sizes", sa.JSON),
    sa.column("place_name", sa.String),
    sa.column("admin_area", sa.String),
    sa.column("latitude", sa.Float),
    sa.column("longitude", sa.Float),
    sa.column("precision_m", sa.Integer),
)
perpetrators = sa.table(
    "incident_perpetrators",
    sa.column("id", sa.Integer),
    sa.column("incident_id", sa.String),
    sa.column("position", sa.Integer),
    sa.column("name", sa.String),
)


def _context(incident_id: str) -> str:
    return f"incidents.particulars.{incident_id}"


def _text(row, names: list[str]) -> str:
    return json.dumps(
        {
            "v": 1,
            "place_name": row.place_name or "",
            "admin_area": row.admin_area or "",
            "latitude": row.latitude,
            "longitude": row.longitude,
            "precision_m": row.precision_m,
            "perpetrators": names,
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )


def _batches(bind, *columns):
    """The incidents in batches by primary key (keyset: rewriting rows never shifts them)."""
    last_id = None
    while True:
        query = sa.select(incidents.c.id, *columns).order_by(incidents.c.id).limit(BATCH)
        if last_id is not None:
            query = query.where(incidents.c.id > last_id)
        rows = bind.execute(query).all()
        if rows:
            yield rows
        if len(rows) < BATCH:
            return
        last_id = rows[-1].id


def _names_of(bind, ids: list[str]) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {incident_id: [] for incident_id in ids}
    rows = bind.execute(
        sa.select(perpetrators.c.incident_id, perpetrators.c.name)
        .where(perpetrators.c.incident_id.in_(ids))
        .order_by(perpetrators.c.incident_id, perpetrators.c.position, perpetrators.c.id)
    )
    for incident_id, name in rows:
        names[incident_id].append(name)
    return names


def upgrade():
    from app.security.encrypted_type import current_sealer

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("particulars", sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    sealer = current_sealer()
    clear = [incidents.c[name] for name in CLEAR]
    for rows in _batches(bind, incidents.c.sealed_sizes, *clear):
        names = _names_of(bind, [row.id for row in rows])
        for row in rows:
            sealed = sealer.encrypt(_text(row, names[row.id]), _context(row.id))
            sizes = dict(row.sealed_sizes or {}, particulars=len(sealed))
            bind.execute(
                sa.update(incidents)
                .where(incidents.c.id == row.id)
                .values(particulars=sealed, sealed_sizes=dict(sorted(sizes.items())))
            )
    with op.batch_alter_table("incident_perpetrators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_perpetrators_incident_id"))
    op.drop_table("incident_perpetrators")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_admin_area"))
        batch_op.drop_constraint(batch_op.f("ck_incidents_latitude_range"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_incidents_longitude_range"), type_="check")
        for name in CLEAR:
            batch_op.drop_column(name)


def downgrade():
    from app.security.encrypted_type import current_sealer

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("admin_area", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("precision_m", sa.Integer(), nullable=True))
    op.create_table(
        "incident_perpetrators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_perpetrators_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_perpetrators")),
    )
    with op.batch_alter_table("incident_perpetrators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_perpetrators_incident_id"), ["incident_id"], unique=False
        )
    bind = op.get_bind()
    sealer = current_sealer()
    for rows in _batches(bind, incidents.c.particulars, incidents.c.sealed_sizes):
        for row in rows:
            data = {"place_name": "", "admin_area": "", "perpetrators": []}
            if row.particulars is not None:
                data = json.loads(sealer.decrypt(bytes(row.particulars), _context(row.id)))
            sizes = {k: v for k, v in (row.sealed_sizes or {}).items() if k != "particulars"}
            bind.execute(
                sa.update(incidents)
                .where(incidents.c.id == row.id)
                .values(
                    sealed_sizes=sizes,
                    **{name: data.get(name) for name in CLEAR},
                )
            )
            for position, name in enumerate(data["perpetrators"]):
                bind.execute(
                    sa.insert(perpetrators).values(
                        incident_id=row.id, position=position, name=name
                    )
                )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.alter_column("place_name", existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column("admin_area", existing_type=sa.String(length=120), nullable=False)
        batch_op.create_index(batch_op.f("ix_incidents_admin_area"), ["admin_area"], unique=False)
        batch_op.create_check_constraint(
            "latitude_range", "latitude IS NULL OR (latitude >= -90 AND latitude <= 90)"
        )
        batch_op.create_check_constraint(
            "longitude_range", "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)"
        )
        batch_op.drop_column("particulars")
