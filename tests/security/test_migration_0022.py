"""Revision 0022 on a database of its own: values written before sealing (AES-GCM under the
master key) come out sealed to the organisation recipient and readable; down again, they are
AES-GCM once more and open with the master key alone."""

from __future__ import annotations

import sqlalchemy as sa

from tests.helpers.factories import MembershipFactory
from tests.helpers.instance import fresh_database
from tests.helpers.old_schema import insert_investigation, insert_user

NAME = "Legacy Marker-6061 Name"
PLACE = "Legacy Marker-6062 Place"


def stored(db, witness_id: str, column: str) -> bytes:
    value = db.session.execute(
        sa.text(f"SELECT {column} FROM witnesses WHERE id = :id"), {"id": witness_id}
    ).scalar_one()
    return bytes(value)


def test_0022_reseals_legacy_values_and_downgrades_back(tmp_path):
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.extensions import db
    from app.security.encrypted_type import (
        current_keyring,
        current_sealer,
        field_context,
        new_row_id,
    )
    from app.security.master_key import generate_master_key_file
    from app.security.org_keys import init_keys, master_key
    from app.timeutil import utcnow
    from tests.conftest import make_config

    generate_master_key_file(tmp_path / "master.key")
    with fresh_database(tmp_path / "m.db", "custos_mig15") as url:
        app = create_app(make_config(url, tmp_path))
        with app.app_context():
            upgrade(revision="0021")
            init_keys(tmp_path / "keys", master_key())
            user = insert_user(role="field")
            investigation = insert_investigation()
            MembershipFactory(user=user, investigation=investigation)
            db.session.commit()
            # What a server before 0022 wrote: AES-GCM under the master key, bound to the row
            # (the witnesses table as it was then: a Core insert, the model has moved on).
            witness_id = new_row_id()
            keyring = current_keyring()
            legacy = {
                column: keyring.encrypt(text, field_context("witnesses", column, witness_id))
                for column, text in (("full_name", NAME), ("current_location", PLACE))
            }
            db.session.execute(
                sa.text(
                    "INSERT INTO witnesses (id, investigation_id, number, code, full_name, "
                    "current_location, risk_level, created_by_id, created_at, updated_at) "
                    "VALUES (:id, :inv, 1, 'W-0001', :name, :place, 'low', :user, :now, :now)"
                ),
                {
                    "id": witness_id,
                    "inv": investigation.id,
                    "name": legacy["full_name"],
                    "place": legacy["current_location"],
                    "user": user.id,
                    "now": utcnow(),
                },
            )
            db.session.commit()
            assert stored(db, witness_id, "full_name")[:1] == b"\x01"

            upgrade(revision="0022")
            for column in ("full_name", "current_location"):
                value = stored(db, witness_id, column)
                assert value[:1] == b"\x02" and b"Marker-606" not in value
            context = field_context("witnesses", "full_name", witness_id)
            assert current_sealer().decrypt(stored(db, witness_id, "full_name"), context) == NAME
            context = field_context("witnesses", "current_location", witness_id)
            assert (
                current_sealer().decrypt(stored(db, witness_id, "current_location"), context)
                == PLACE
            )

            db.session.commit()
            downgrade(revision="0021")
            value = stored(db, witness_id, "full_name")
            assert value[:1] == b"\x01"
            context = field_context("witnesses", "full_name", witness_id)
            assert keyring.decrypt(value, context) == NAME

            upgrade(revision="0022")  # and up again: idempotent over what is already sealed
            assert stored(db, witness_id, "full_name")[:1] == b"\x02"
            db.session.remove()
            db.engine.dispose()
