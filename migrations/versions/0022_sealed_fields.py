"""sealed fields: witness identities, testimony, places and field notes re-sealed to the
organisation's age recipient (issue 17)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 20:00:00

The columns keep their type (binary); their values change from AES-256-GCM under the master
key (format 1) to age sealed to the current organisation recipient (format 2, see
app/security/field_sealing.py). Upgrading opens each format-1 value with the master key and
seals it to the recipient; downgrading opens each format-2 value with the organisation identity
(so it runs on a reading node only) and encrypts it under the master key again. Both run in
batches by primary key and only touch values of the other format, so a rerun after an
interruption finishes the job. The list of columns is frozen here, as a migration must be.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

SEALED_COLUMNS = {
    "witnesses": ("full_name", "date_of_birth", "contact", "current_location"),
    "interviews": ("place", "interpreter", "transcript", "notes"),
    "interview_addenda": ("text",),
    "incidents": ("casualties_reported_by", "description"),
    "evidence_items": ("original_filename", "client_facts", "extracted_metadata"),
}
BATCH = 500


def _convert(want_format: bytes, recode) -> None:
    bind = op.get_bind()
    for table_name, column_names in SEALED_COLUMNS.items():
        table = sa.table(
            table_name,
            sa.column("id", sa.String),
            *(sa.column(name, sa.LargeBinary) for name in column_names),
        )
        last_id = None
        while True:
            query = sa.select(table).order_by(table.c.id).limit(BATCH)
            if last_id is not None:
                query = query.where(table.c.id > last_id)
            rows = bind.execute(query).mappings().all()
            for row in rows:
                changes = {}
                for name in column_names:
                    value = row[name]
                    if value is not None and bytes(value[:1]) != want_format:
                        context = f"{table_name}.{name}.{row['id']}"
                        changes[name] = recode(bytes(value), context)
                if changes:
                    bind.execute(
                        sa.update(table).where(table.c.id == row["id"]).values(**changes)
                    )
            if len(rows) < BATCH:
                break
            last_id = rows[-1]["id"]


def upgrade():
    from app.security.encrypted_type import current_keyring, current_sealer

    def reseal(blob: bytes, context: str) -> bytes:
        return current_sealer().encrypt(current_keyring().decrypt(blob, context), context)

    _convert(b"\x02", reseal)


def downgrade():
    from app.security.encrypted_type import current_keyring, current_sealer

    def unseal(blob: bytes, context: str) -> bytes:
        return current_keyring().encrypt(current_sealer().decrypt(blob, context), context)

    _convert(b"\x01", unseal)
