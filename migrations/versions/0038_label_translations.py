"""labels in Arabic and Russian beside the English ones: weapon and target types, crime titles

Each weapon type and target type gets label_ar and label_ru, each crime of a legal framework
title_ar and title_ru; an empty one means the reader sees the English text. The translations
shipped in app/taxonomy/*.yaml and app/taxonomy/legal/*.yaml are filled into the rows with the
same codes (data files, not code: the migration only reads them).

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-06 04:00:00

"""

from pathlib import Path

import sqlalchemy as sa
import yaml
from alembic import op

# revision identifiers, used by Alembic.
revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

TAXONOMY_DIR = Path(__file__).resolve().parents[2] / "app" / "taxonomy"
LANGUAGES = ("ar", "ru")


def _load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _fill_terms(table_name, filename, key):
    table = sa.table(
        table_name,
        sa.column("code", sa.String),
        sa.column("label_ar", sa.String),
        sa.column("label_ru", sa.String),
    )
    for entry in _load(TAXONOMY_DIR / filename)[key]:
        values = {f"label_{lang}": entry.get(f"label_{lang}") or "" for lang in LANGUAGES}
        op.execute(table.update().where(table.c.code == str(entry["code"])).values(**values))


def _fill_crimes():
    frameworks = sa.table(
        "legal_frameworks", sa.column("id", sa.Integer), sa.column("code", sa.String)
    )
    crimes = sa.table(
        "legal_crimes",
        sa.column("framework_id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("title_ar", sa.String),
        sa.column("title_ru", sa.String),
    )
    for path in sorted((TAXONOMY_DIR / "legal").glob("*.yaml")):
        document = _load(path)
        framework_id = (
            sa.select(frameworks.c.id)
            .where(frameworks.c.code == str(document["framework"]["code"]))
            .scalar_subquery()
        )
        for crime in document["crimes"]:
            values = {f"title_{lang}": crime.get(f"title_{lang}") or "" for lang in LANGUAGES}
            op.execute(
                crimes.update()
                .where(crimes.c.framework_id == framework_id, crimes.c.code == str(crime["code"]))
                .values(**values)
            )


def upgrade():
    for table in ("weapon_types", "target_types"):
        with op.batch_alter_table(table) as batch_op:
            for lang in LANGUAGES:
                batch_op.add_column(
                    sa.Column(f"label_{lang}", sa.String(120), nullable=False, server_default="")
                )
    with op.batch_alter_table("legal_crimes") as batch_op:
        for lang in LANGUAGES:
            batch_op.add_column(
                sa.Column(f"title_{lang}", sa.String(300), nullable=False, server_default="")
            )
    _fill_terms("weapon_types", "weapons.yaml", "weapons")
    _fill_terms("target_types", "targets.yaml", "targets")
    _fill_crimes()


def downgrade():
    with op.batch_alter_table("legal_crimes") as batch_op:
        for lang in reversed(LANGUAGES):
            batch_op.drop_column(f"title_{lang}")
    for table in ("target_types", "weapon_types"):
        with op.batch_alter_table(table) as batch_op:
            for lang in reversed(LANGUAGES):
                batch_op.drop_column(f"label_{lang}")
