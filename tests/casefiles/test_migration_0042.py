"""Revision 0042: frameworks gain Arabic and Russian titles and their elements texts, filled
from the shipped files for the rows with the same codes (contextual elements too); an uploaded
framework keeps empty ones; consent purposes and custody actions get their labels; existing
accounts get no reading languages; consent records get the code of their language beside the
text; down removes it all."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
import yaml

from tests.conftest import make_config
from tests.intake.test_migration_0004 import private_database  # noqa: F401 (a fixture)

NOW = datetime(2026, 12, 1)


def _framework(conn, framework_id: int, code: str) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO legal_frameworks (id, code, title, source, url, origin, active, "
            "created_at) VALUES (:id, :code, 'T', '', '', 'shipped', :yes, :now)"
        ),
        {"id": framework_id, "code": code, "yes": True, "now": NOW},
    )
    conn.execute(
        sa.text(
            "INSERT INTO legal_crimes (id, framework_id, code, title, context, citation, note, "
            "position) VALUES (:id, :id, '8(2)(e)(iv)', 'Title', 'non-international', '', '', 0)"
        ),
        {"id": framework_id},
    )
    for number, code in ((1, "1"), (2, "C1")):
        conn.execute(
            sa.text(
                "INSERT INTO legal_elements (id, crime_id, code, kind, text, citation, position)"
                " VALUES (:id, :crime, :code, 'material', 'English', '', 0)"
            ),
            {"id": framework_id * 10 + number, "crime": framework_id, "code": code},
        )


def _consents(conn, languages: dict[str, str]) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO investigations (id, reference, title, description, status, created_at)"
            " VALUES ('i1', 'INV-1', 'T', '', 'open', :now)"
        ),
        {"now": NOW},
    )
    conn.execute(
        sa.text(
            "INSERT INTO witnesses (id, investigation_id, number, code, risk_level, created_at,"
            " updated_at) VALUES ('w1', 'i1', 1, 'W-0001', 'high', :now, :now)"
        ),
        {"now": NOW},
    )
    for seq, (row_id, text) in enumerate(languages.items(), start=1):
        conn.execute(
            sa.text(
                "INSERT INTO witness_consents (id, witness_id, investigation_id, seq, kind,"
                " interview, legal_proceedings, un_sharing, publication, named, obtained_on,"
                " language, recorded_at) VALUES (:id, 'w1', 'i1', :seq, 'given', :yes, :yes,"
                " :yes, :yes, :yes, :now, :text, :now)"
            ),
            {"id": row_id, "seq": seq, "yes": True, "now": NOW, "text": text},
        )


def _columns(db, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_columns(table)}


def test_0042_fills_the_shipped_translations_and_down_removes_them(private_database, tmp_path):  # noqa: F811
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.extensions import db
    from app.security.master_key import generate_master_key_file

    generate_master_key_file(tmp_path / "master.key")
    app = create_app(make_config(private_database, tmp_path))
    with app.app_context():
        upgrade(revision="0041")
        with db.engine.begin() as conn:
            _framework(conn, 1, "rome-statute-art8")
            _framework(conn, 2, "uploaded-framework")
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, email, name, role, active, session_version, "
                    "failed_logins, language, created_at) VALUES ('u1', 'a@example.org', 'A', "
                    "'field', :yes, 1, 0, 'ar', :now)"
                ),
                {"yes": True, "now": NOW},
            )
            _consents(conn, {"c1": "Arabic", "c2": "Syrian dialect", "c3": "Arabic and Kurdish"})
        upgrade(revision="0042")
        with db.engine.connect() as conn:
            titles = dict(conn.execute(sa.text("SELECT id, title_ru FROM legal_frameworks")).all())
            texts = dict(conn.execute(sa.text("SELECT id, text_ar FROM legal_elements")).all())
            labels = dict(
                conn.execute(
                    sa.text("SELECT vocabulary || ':' || code, label_ar FROM vocabulary_labels")
                ).all()
            )
            reading = conn.execute(sa.text("SELECT reading_languages FROM users")).scalar()
            consents = {
                row_id: (text, code)
                for row_id, text, code in conn.execute(
                    sa.text("SELECT id, language, language_code FROM witness_consents")
                )
            }
        assert titles == {
            1: "Римский статут, статья 8: военные преступления при ведении военных действий",
            2: "",
        }
        assert texts[11] == "وجّه مرتكب الجريمة هجوماً."
        assert texts[12].startswith("الصلة بالنزاع: صدر السلوك في سياق نزاع مسلح غير ذي طابع دولي")
        assert texts[21] == texts[22] == ""
        assert labels["consent_purpose:named"] == "ذكر الاسم" and len(labels) == _shipped_labels()
        assert reading == ""
        # The text stays as written; its code beside it, none where it names no one language.
        assert consents == {
            "c1": ("Arabic", "ar"),
            "c2": ("Syrian dialect", None),
            "c3": ("Arabic and Kurdish", None),
        }
        downgrade(revision="0041")
        assert "vocabulary_labels" not in sa.inspect(db.engine).get_table_names()
        assert "text_ar" not in _columns(db, "legal_elements")
        assert "reading_languages" not in _columns(db, "users")
        assert "language_code" not in _columns(db, "witness_consents")
        db.engine.dispose()


def _shipped_labels() -> int:
    """Every consent purpose and custody action the shipped files label (the migration loads
    them as they are when it runs)."""
    taxonomy = Path(__file__).resolve().parents[2] / "app" / "taxonomy"
    files = {"consent_purpose": "consent_purposes.yaml", "custody_action": "custody_actions.yaml"}
    return sum(
        len(yaml.safe_load((taxonomy / name).read_text(encoding="utf-8"))[vocabulary])
        for vocabulary, name in files.items()
    )
