"""Revision 0038: weapon and target types gain Arabic and Russian labels, crimes Arabic and
Russian titles, filled from the shipped files for the rows with the same codes; a crime of a
framework that ships none (an uploaded one) keeps empty ones; down removes the columns."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from tests.conftest import make_config
from tests.intake.test_migration_0004 import private_database  # noqa: F401 (a fixture)

NOW = datetime(2026, 12, 1)


def _framework_with_crime(conn, framework_id: int, code: str, crime_code: str) -> None:
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
            "position) VALUES (:id, :id, :code, 'Title', '', '', '', 0)"
        ),
        {"id": framework_id, "code": crime_code},
    )


def _columns(db, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_columns(table)}


def test_0038_fills_the_shipped_translations_and_down_removes_them(private_database, tmp_path):  # noqa: F811
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.extensions import db
    from app.security.master_key import generate_master_key_file

    generate_master_key_file(tmp_path / "master.key")
    app = create_app(make_config(private_database, tmp_path))
    with app.app_context():
        upgrade(revision="0037")
        with db.engine.begin() as conn:
            _framework_with_crime(conn, 1, "rome-statute-art8", "8(2)(e)(iv)")
            _framework_with_crime(conn, 2, "uploaded-framework", "8(2)(e)(iv)")
        upgrade(revision="0038")
        with db.engine.connect() as conn:
            weapon = conn.execute(
                sa.text("SELECT label_ar, label_ru FROM weapon_types WHERE code = 'barrel_bomb'")
            ).one()
            target = conn.execute(
                sa.text("SELECT label_ar FROM target_types WHERE code = 'school'")
            ).scalar()
            titles = dict(
                conn.execute(sa.text("SELECT framework_id, title_ar FROM legal_crimes")).all()
            )
        assert tuple(weapon) == ("برميل متفجّر", "Бочковая бомба") and target == "مدرسة"
        assert titles[1].startswith("الهجوم على أعيان محمية") and titles[2] == ""
        downgrade(revision="0037")
        assert "label_ar" not in _columns(db, "weapon_types")
        assert "title_ru" not in _columns(db, "legal_crimes")
        db.engine.dispose()
