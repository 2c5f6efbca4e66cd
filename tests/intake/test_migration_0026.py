"""Revision 0026: incidents gain a sealed note for an "other" target; a database seeded before
"other" was shipped gains the type at the end of its list (one made after keeps its own row);
down removes the note column and an unused "other", and up again works."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import make_config
from tests.intake.test_migration_0004 import private_database  # noqa: F401 (a fixture)


def test_0026_adds_the_note_and_the_other_target_once(private_database, tmp_path):  # noqa: F811
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.extensions import db
    from app.security.master_key import generate_master_key_file

    generate_master_key_file(tmp_path / "master.key")
    app = create_app(make_config(private_database, tmp_path))
    with app.app_context():
        upgrade(revision="0025")
        with db.engine.begin() as conn:  # a database seeded before "other" was shipped
            conn.execute(sa.text("DELETE FROM target_types WHERE code = 'other'"))
            last = conn.execute(sa.text("SELECT max(position) FROM target_types")).scalar()
        upgrade(revision="0026")
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("incidents")}
        assert "target_note" in columns
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT position, active FROM target_types WHERE code = 'other'")
            ).all()
        assert len(rows) == 1 and rows[0][0] == last + 1 and rows[0][1]
        downgrade(revision="0025")
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("incidents")}
        assert "target_note" not in columns
        with db.engine.connect() as conn:
            left = conn.execute(sa.text("SELECT count(*) FROM target_types WHERE code = 'other'"))
            assert left.scalar() == 0
        upgrade(revision="0026")
        with db.engine.connect() as conn:
            again = conn.execute(sa.text("SELECT count(*) FROM target_types WHERE code = 'other'"))
            assert again.scalar() == 1
        db.engine.dispose()
