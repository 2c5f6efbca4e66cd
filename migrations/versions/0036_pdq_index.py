"""The near-duplicate lookup's chunk index (issue 19), filled from the stored fingerprints

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-06 03:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

# As in app/duplicates/pdq_index.py at this revision (a migration never imports the app).
CHUNK_WIDTHS = (24, 24, 24, 23, 23, 23, 23, 23, 23, 23, 23)
MIN_QUALITY = 50
COLUMNS = [f"c{i}" for i in range(len(CHUNK_WIDTHS))]


def _chunks(hash_hex):
    value, out, shift = int(hash_hex, 16), [], 256
    for width in CHUNK_WIDTHS:
        shift -= width
        out.append((value >> shift) & ((1 << width) - 1))
    return out


def upgrade():
    index = op.create_table(
        "pdq_index",
        sa.Column("frame_id", sa.String(length=36), nullable=False),
        sa.Column("investigation_id", sa.String(length=36), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COLUMNS),
        sa.ForeignKeyConstraint(
            ["frame_id"],
            ["fingerprint_frames.id"],
            name=op.f("fk_pdq_index_frame_id_fingerprint_frames"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_pdq_index_investigation_id_investigations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("frame_id", name=op.f("pk_pdq_index")),
    )
    # Backfill before the indexes are built: every usable frame of a hashed fingerprint.
    rows = op.get_bind().execute(
        sa.text(
            "SELECT f.id, m.investigation_id, f.hash_hex FROM fingerprint_frames f"
            " JOIN media_fingerprints m ON m.id = f.fingerprint_id"
            " WHERE m.status = 'hashed' AND f.quality >= :quality"
        ),
        {"quality": MIN_QUALITY},
    )
    batch = []
    for frame_id, investigation_id, hash_hex in rows:
        entry = {"frame_id": frame_id, "investigation_id": investigation_id}
        entry.update(zip(COLUMNS, _chunks(hash_hex), strict=True))
        batch.append(entry)
    if batch:
        op.bulk_insert(index, batch)
    for name in COLUMNS:
        op.create_index(op.f(f"ix_pdq_index_{name}"), "pdq_index", [name], unique=False)


def downgrade():
    for name in COLUMNS:
        op.drop_index(op.f(f"ix_pdq_index_{name}"), table_name="pdq_index")
    op.drop_table("pdq_index")
