"""Revision 0022 on a database of its own: values written before sealing (AES-GCM under the
master key) come out sealed to the organisation recipient and readable; down again, they are
AES-GCM once more and open with the master key alone."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import undefer_group

from app.intake.models import Witness
from app.intake.models.witnesses import IDENTITY_GROUP
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.instance import fresh_database
from tests.intake.builders import make_witness

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
    from app.security.encrypted_type import current_keyring, field_context
    from app.security.master_key import generate_master_key_file
    from app.security.org_keys import init_keys, master_key
    from tests.conftest import make_config

    generate_master_key_file(tmp_path / "master.key")
    with fresh_database(tmp_path / "m.db", "custos_mig15") as url:
        app = create_app(make_config(url, tmp_path))
        with app.app_context():
            upgrade(revision="0021")
            init_keys(tmp_path / "keys", master_key())
            user = UserFactory(role="field")
            investigation = InvestigationFactory()
            MembershipFactory(user=user, investigation=investigation)
            witness = make_witness(investigation, user, full_name=NAME, current_location=PLACE)
            # What a server before 0022 wrote: AES-GCM under the master key, bound to the row.
            keyring = current_keyring()
            for column, text in (("full_name", NAME), ("current_location", PLACE)):
                legacy = keyring.encrypt(text, field_context("witnesses", column, witness.id))
                db.session.execute(
                    sa.text(f"UPDATE witnesses SET {column} = :v WHERE id = :id"),
                    {"v": legacy, "id": witness.id},
                )
            db.session.commit()
            assert stored(db, witness.id, "full_name")[:1] == b"\x01"

            upgrade(revision="0022")
            for column in ("full_name", "current_location"):
                value = stored(db, witness.id, column)
                assert value[:1] == b"\x02" and b"Marker-606" not in value
            db.session.expire_all()
            loaded = db.session.scalars(
                sa.select(Witness).options(undefer_group(IDENTITY_GROUP))
            ).one()
            assert (loaded.full_name, loaded.current_location) == (NAME, PLACE)

            db.session.commit()
            downgrade(revision="0021")
            value = stored(db, witness.id, "full_name")
            assert value[:1] == b"\x01"
            context = field_context("witnesses", "full_name", witness.id)
            assert keyring.decrypt(value, context) == NAME

            upgrade(revision="0022")  # and up again: idempotent over what is already sealed
            assert stored(db, witness.id, "full_name")[:1] == b"\x02"
            db.session.remove()
            db.engine.dispose()
