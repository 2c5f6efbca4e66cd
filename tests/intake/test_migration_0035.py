"""Revision 0035: free-text interview languages become BCP 47 codes where every part names a
known language; sealed testimony keeps its text (its hash covers it) and is marked format 1;
what names no known language is left without codes, flagged for a person; an interpreter named
in the old field is recorded as present; down gives drafts their language back as text."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import make_config
from tests.intake.test_migration_0004 import private_database  # noqa: F401 (a fixture)

ROWS = {
    # id: (status, language as written, an interpreter named?)
    "sealed-arabic": ("sealed", "Arabic", True),
    "draft-two": ("draft", "Arabic and Kurdish", False),
    "draft-dialect": ("draft", "Syrian dialect", False),
    "sealed-dialect": ("sealed", "Aramaic, Syrian", False),
}


def _seed(db, investigation_id: str, user_id: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO witnesses (id, investigation_id, number, code, risk_level,"
                " created_at, updated_at) VALUES ('w1', :inv, 1, 'W-0001', 'high',"
                " '2016-05-02 10:00:00', '2016-05-02 10:00:00')"
            ),
            dict(inv=investigation_id),
        )
        for row_id, (status, language, interpreter) in ROWS.items():
            conn.execute(
                sa.text(
                    "INSERT INTO interviews (id, investigation_id, witness_id, interviewer_id,"
                    " created_by_id, conducted_on, language, interpreter, mode, first_hand,"
                    " status, created_at, updated_at) VALUES (:id, :inv, 'w1', :user, :user,"
                    " '2016-05-02', :language, :interpreter, 'in_person', :yes, :status,"
                    " '2016-05-02 10:00:00', '2016-05-02 10:00:00')"
                ),
                dict(
                    id=row_id,
                    inv=investigation_id,
                    user=user_id,
                    language=language,
                    interpreter=b"\x02sealed" if interpreter else None,
                    yes=True,
                    status=status,
                ),
            )


def test_0035_reads_languages_into_codes_and_flags_the_rest(private_database, tmp_path):  # noqa: F811
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.extensions import db
    from app.security.master_key import generate_master_key_file
    from tests.helpers.old_schema import insert_investigation, insert_user

    generate_master_key_file(tmp_path / "master.key")
    app = create_app(make_config(private_database, tmp_path))
    with app.app_context():
        upgrade(revision="0034")
        investigation, user = insert_investigation(), insert_user(role="field")
        db.session.commit()
        _seed(db, investigation.id, user.id)
        db.session.remove()  # no open transaction may hold a lock the migration waits for
        upgrade(revision="0035")
        query = sa.text(
            "SELECT id, language, languages, record_format, interpreter_present FROM interviews"
        )
        with db.engine.connect() as conn:
            rows = {row[0]: tuple(row[1:]) for row in conn.execute(query)}
        assert rows == {
            "sealed-arabic": ("Arabic", "ar", 1, True),  # text kept under the seal
            "draft-two": ("", "ar ku", 2, None),
            "draft-dialect": ("Syrian dialect", "", 2, None),  # flagged: no codes
            "sealed-dialect": ("Aramaic, Syrian", "", 1, None),
        }
        downgrade(revision="0034")
        with db.engine.connect() as conn:
            languages = dict(conn.execute(sa.text("SELECT id, language FROM interviews")).all())
            columns = {c["name"] for c in sa.inspect(conn).get_columns("interviews")}
        assert languages["draft-two"] == "ar ku" and languages["sealed-arabic"] == "Arabic"
        assert "languages" not in columns and "interpreter_present" not in columns
        upgrade(revision="0035")
        db.session.remove()
        db.engine.dispose()
