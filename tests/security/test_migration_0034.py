"""Revision 0034 on a database of its own: an incident's place, area, coordinates and alleged
perpetrators, written in the clear before, come out as one value sealed to the organisation
recipient (its size recorded for receipts) and the clear columns and table are gone; down
again, the clear columns and the perpetrators, in their order, are back."""

from __future__ import annotations

import json

import sqlalchemy as sa

from tests.helpers.factories import MembershipFactory
from tests.helpers.instance import fresh_database
from tests.helpers.old_schema import insert_investigation, insert_user

PLACE = "Migrated Place Marker-3030"
NAMES = ("Second Unit Marker-3031", "First Party Marker-3032")


def test_0034_seals_incident_particulars_and_downgrades_back(tmp_path):
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.extensions import db
    from app.security.encrypted_type import current_sealer, field_context, new_row_id
    from app.security.master_key import generate_master_key_file
    from app.security.org_keys import init_keys, master_key
    from app.timeutil import utcnow
    from tests.conftest import make_config

    generate_master_key_file(tmp_path / "master.key")
    with fresh_database(tmp_path / "m.db", "custos_mig31") as url:
        app = create_app(make_config(url, tmp_path))
        with app.app_context():
            upgrade(revision="0033")
            init_keys(tmp_path / "keys", master_key())
            user = insert_user(role="field")
            investigation = insert_investigation()
            MembershipFactory(user=user, investigation=investigation)
            db.session.commit()
            # The incidents table as it was at 0033: a Core insert, the model has moved on.
            incident_id, bare_id = new_row_id(), new_row_id()
            for row_id, place, lat, lon in (
                (incident_id, PLACE, 36.3030, 37.3030),
                (bare_id, "No coordinates", None, None),
            ):
                db.session.execute(
                    sa.text(
                        "INSERT INTO incidents (id, investigation_id, time_certainty, "
                        "occurred_from, place_name, admin_area, latitude, longitude, "
                        "precision_m, created_at, updated_at, sealed_sizes) VALUES (:id, :inv, "
                        "'day', :now, :place, 'Aleppo', :lat, :lon, 25, :now, :now, '{}')"
                    ),
                    {
                        "id": row_id,
                        "inv": investigation.id,
                        "place": place,
                        "lat": lat,
                        "lon": lon,
                        "now": utcnow(),
                    },
                )
            for position, name in ((1, NAMES[1]), (0, NAMES[0])):
                db.session.execute(
                    sa.text(
                        "INSERT INTO incident_perpetrators (incident_id, position, name) "
                        "VALUES (:id, :position, :name)"
                    ),
                    {"id": incident_id, "position": position, "name": name},
                )
            db.session.commit()

            upgrade(revision="0034")
            stored, sizes = db.session.execute(
                sa.text("SELECT particulars, sealed_sizes FROM incidents WHERE id = :id"),
                {"id": incident_id},
            ).one()
            stored = bytes(stored)
            assert stored[:1] == b"\x02" and b"Marker-303" not in stored
            sizes = sizes if isinstance(sizes, dict) else json.loads(sizes)
            assert sizes == {"particulars": len(stored)}
            context = field_context("incidents", "particulars", incident_id)
            assert json.loads(current_sealer().decrypt(stored, context)) == {
                "v": 1,
                "place_name": PLACE,
                "admin_area": "Aleppo",
                "latitude": 36.3030,
                "longitude": 37.3030,
                "precision_m": 25,
                "perpetrators": list(NAMES),
            }
            inspector = sa.inspect(db.engine)
            columns = {c["name"] for c in inspector.get_columns("incidents")}
            assert not columns & {"place_name", "admin_area", "latitude", "longitude"}
            assert "incident_perpetrators" not in inspector.get_table_names()

            db.session.commit()
            downgrade(revision="0033")
            rows = db.session.execute(
                sa.text(
                    "SELECT id, place_name, admin_area, latitude, longitude, precision_m, "
                    "sealed_sizes FROM incidents ORDER BY place_name"
                )
            ).all()
            back = {row.id: row for row in rows}
            assert back[incident_id].place_name == PLACE
            assert (back[incident_id].latitude, back[incident_id].longitude) == (36.3030, 37.3030)
            assert back[bare_id].latitude is None and back[bare_id].precision_m == 25
            restored = back[incident_id].sealed_sizes
            restored = restored if isinstance(restored, dict) else json.loads(restored)
            assert "particulars" not in restored
            names = db.session.scalars(
                sa.text(
                    "SELECT name FROM incident_perpetrators WHERE incident_id = :id "
                    "ORDER BY position"
                ),
                {"id": incident_id},
            ).all()
            assert tuple(names) == NAMES
            columns = {c["name"] for c in sa.inspect(db.engine).get_columns("incidents")}
            assert "particulars" not in columns
            db.session.remove()
            db.engine.dispose()
