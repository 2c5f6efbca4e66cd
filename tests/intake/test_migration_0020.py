"""Revision 0020: a range entered without times becomes a range of days (so it no longer shows
invented midnight times); a range with times stays a range; down and up again cleanly."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import make_config
from tests.intake.test_migration_0004 import private_database  # noqa: F401 (a fixture)


def test_0020_turns_whole_day_ranges_into_ranges_of_days(private_database, tmp_path):  # noqa: F811
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.extensions import db
    from app.security.master_key import generate_master_key_file
    from tests.helpers.old_schema import insert_investigation

    generate_master_key_file(tmp_path / "master.key")
    app = create_app(make_config(private_database, tmp_path))
    with app.app_context():
        upgrade(revision="0019")
        investigation = insert_investigation()
        db.session.commit()
        insert = sa.text(
            "INSERT INTO incidents (id, investigation_id, time_certainty, occurred_from,"
            " occurred_to, place_name, admin_area, created_at, updated_at)"
            " VALUES (:id, :inv, 'range', :start, :end, 'Sarmin', '', :start, :start)"
        )
        with db.engine.begin() as conn:
            conn.execute(
                insert,
                dict(
                    id="whole-days",
                    inv=investigation.id,
                    start="2015-11-10 00:00:00",
                    end="2015-11-12 23:59:59",
                ),
            )
            conn.execute(
                insert,
                dict(
                    id="with-times",
                    inv=investigation.id,
                    start="2015-11-10 08:30:00",
                    end="2015-11-10 10:30:00",
                ),
            )
        upgrade(revision="0020")
        certainty = sa.text("SELECT id, time_certainty FROM incidents ORDER BY id")
        with db.engine.connect() as conn:
            assert dict(conn.execute(certainty).all()) == {
                "whole-days": "days",
                "with-times": "range",
            }
        downgrade(revision="0019")
        with db.engine.connect() as conn:
            assert dict(conn.execute(certainty).all())["whole-days"] == "range"
            columns = {c["name"] for c in sa.inspect(conn).get_columns("incidents")}
            assert "uncertainty_minutes" not in columns
        upgrade(revision="0020")
        db.session.remove()
        db.engine.dispose()
