"""labels in Arabic and Russian for frameworks, elements, consent purposes and custody actions;
reading languages

Legal frameworks gain title_ar/title_ru and their elements text_ar/text_ru, filled from the
shipped app/taxonomy/legal/*.yaml for the rows with the same codes (an uploaded framework keeps
empty ones: its readers see English). A new table vocabulary_labels holds the label of each
consent purpose and custody action in English, Arabic and Russian, filled from
app/taxonomy/consent_purposes.yaml and custody_actions.yaml (data files, not code: the migration
only reads them). Users gain reading_languages, BCP 47 codes ("ar en"), empty for everyone:
nobody had recorded any before. Consent records and re-grant requests gain language_code: the
code of the language consent was explained in, read from the free text of the records made
before (which stays as written: a record is never rewritten), None where the text names no
one language of the list (shown as written).

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-06 06:00:00

"""

from datetime import UTC
from pathlib import Path

import sqlalchemy as sa
import yaml
from alembic import op

# revision identifiers, used by Alembic.
revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

TAXONOMY_DIR = Path(__file__).resolve().parents[2] / "app" / "taxonomy"
LANGUAGES = ("ar", "ru")
CONSENT_TABLES = ("witness_consents", "consent_regrants")
VOCABULARIES = {
    "consent_purpose": "consent_purposes.yaml",
    "custody_action": "custody_actions.yaml",
}


def _load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _translated(entry, field):
    return {
        f"{field}_{lang}": " ".join(str(entry.get(f"{field}_{lang}") or "").split())
        for lang in LANGUAGES
    }


def _fill_frameworks():
    frameworks = sa.table(
        "legal_frameworks",
        sa.column("id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("title_ar", sa.String),
        sa.column("title_ru", sa.String),
    )
    crimes = sa.table(
        "legal_crimes",
        sa.column("id", sa.Integer),
        sa.column("framework_id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("context", sa.String),
    )
    elements = sa.table(
        "legal_elements",
        sa.column("crime_id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("text_ar", sa.Text),
        sa.column("text_ru", sa.Text),
    )
    connection = op.get_bind()
    for path in sorted((TAXONOMY_DIR / "legal").glob("*.yaml")):
        document = _load(path)
        head = document["framework"]
        framework_id = connection.execute(
            sa.select(frameworks.c.id).where(frameworks.c.code == str(head["code"]))
        ).scalar()
        if framework_id is None:
            continue  # not loaded yet: `flask taxonomy load` stores it with its translations
        connection.execute(
            frameworks.update()
            .where(frameworks.c.id == framework_id)
            .values(**_translated(head, "title"))
        )
        contextual = document.get("contextual") or {}
        for crime in document["crimes"]:
            crime_id = connection.execute(
                sa.select(crimes.c.id).where(
                    crimes.c.framework_id == framework_id, crimes.c.code == str(crime["code"])
                )
            ).scalar()
            if crime_id is None:
                continue
            shipped = [*crime["elements"], *contextual.get(crime.get("context") or "", [])]
            for element in shipped:
                connection.execute(
                    elements.update()
                    .where(elements.c.crime_id == crime_id, elements.c.code == str(element["code"]))
                    .values(**_translated(element, "text"))
                )


def _fill_vocabularies():
    table = sa.table(
        "vocabulary_labels",
        sa.column("vocabulary", sa.String),
        sa.column("code", sa.String),
        sa.column("label", sa.String),
        sa.column("label_ar", sa.String),
        sa.column("label_ru", sa.String),
        sa.column("position", sa.Integer),
        sa.column("updated_at", sa.DateTime),
    )
    from datetime import datetime

    now = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for vocabulary, filename in VOCABULARIES.items():
        for position, entry in enumerate(_load(TAXONOMY_DIR / filename)[vocabulary]):
            rows.append(
                {
                    "vocabulary": vocabulary,
                    "code": str(entry["code"]),
                    "label": str(entry["label"]),
                    **{
                        f"label_{lang}": str(entry.get(f"label_{lang}") or "") for lang in LANGUAGES
                    },
                    "position": position * 10,
                    "updated_at": now,
                }
            )
    op.bulk_insert(table, rows)


def upgrade():
    with op.batch_alter_table("legal_frameworks") as batch_op:
        for lang in LANGUAGES:
            batch_op.add_column(
                sa.Column(f"title_{lang}", sa.String(300), nullable=False, server_default="")
            )
    with op.batch_alter_table("legal_elements") as batch_op:
        for lang in LANGUAGES:
            batch_op.add_column(
                sa.Column(f"text_{lang}", sa.Text(), nullable=False, server_default="")
            )
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("reading_languages", sa.String(64), nullable=False, server_default="")
        )
    op.create_table(
        "vocabulary_labels",
        sa.Column("vocabulary", sa.String(32), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("label_ar", sa.String(200), nullable=False, server_default=""),
        sa.Column("label_ru", sa.String(200), nullable=False, server_default=""),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.String(36), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name="fk_vocabulary_labels_updated_by_id_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("vocabulary", "code", name="pk_vocabulary_labels"),
    )
    for table in CONSENT_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("language_code", sa.String(16), nullable=True))
    _fill_frameworks()
    _fill_vocabularies()
    _read_consent_languages()


def _read_consent_languages():
    from app.language_codes import codes_from_text

    connection = op.get_bind()
    for name in CONSENT_TABLES:
        table = sa.table(
            name,
            sa.column("id", sa.String),
            sa.column("language", sa.String),
            sa.column("language_code", sa.String),
        )
        for row_id, text in connection.execute(sa.select(table.c.id, table.c.language)).all():
            codes = codes_from_text(text or "")
            if codes and len(codes) == 1:
                connection.execute(
                    table.update().where(table.c.id == row_id).values(language_code=codes[0])
                )


def downgrade():
    for table in reversed(CONSENT_TABLES):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("language_code")
    op.drop_table("vocabulary_labels")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("reading_languages")
    with op.batch_alter_table("legal_elements") as batch_op:
        for lang in reversed(LANGUAGES):
            batch_op.drop_column(f"text_{lang}")
    with op.batch_alter_table("legal_frameworks") as batch_op:
        for lang in reversed(LANGUAGES):
            batch_op.drop_column(f"title_{lang}")
