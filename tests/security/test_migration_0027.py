"""Revision 0027 on a database of its own: existing witnesses and interviews get the size of
each sealed field they hold (what an intake node's receipt shows), and down again the column
is gone."""

from __future__ import annotations

import sqlalchemy as sa

from tests.helpers.factories import MembershipFactory
from tests.helpers.instance import fresh_database
from tests.helpers.old_schema import insert_investigation, insert_user


def test_0027_fills_the_sealed_sizes_of_existing_rows_and_downgrades(tmp_path):
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.extensions import db
    from app.security.encrypted_type import current_sealer, field_context, new_row_id
    from app.security.master_key import generate_master_key_file
    from app.security.org_keys import init_keys, master_key
    from app.timeutil import utcnow
    from tests.conftest import make_config

    generate_master_key_file(tmp_path / "master.key")
    with fresh_database(tmp_path / "m.db", "custos_mig28") as url:
        app = create_app(make_config(url, tmp_path))
        with app.app_context():
            upgrade(revision="0026")
            init_keys(tmp_path / "keys", master_key())
            user = insert_user(role="field")
            investigation = insert_investigation()
            MembershipFactory(user=user, investigation=investigation)
            db.session.commit()
            witness_id = new_row_id()
            name = current_sealer().encrypt(
                "Marker-2828 Name", field_context("witnesses", "full_name", witness_id)
            )
            db.session.execute(
                sa.text(
                    "INSERT INTO witnesses (id, investigation_id, number, code, full_name, "
                    "risk_level, created_by_id, created_at, updated_at) "
                    "VALUES (:id, :inv, 1, 'W-0001', :name, 'low', :user, :now, :now)"
                ),
                {
                    "id": witness_id,
                    "inv": investigation.id,
                    "name": name,
                    "user": user.id,
                    "now": utcnow(),
                },
            )
            db.session.commit()

            upgrade(revision="0027")
            sizes = db.session.execute(
                sa.select(sa.column("sealed_sizes", sa.JSON)).select_from(sa.table("witnesses"))
            ).scalar_one()
            assert sizes == {"full_name": len(name)}

            db.session.commit()
            downgrade(revision="0026")
            columns = {c["name"] for c in sa.inspect(db.engine).get_columns("witnesses")}
            assert "sealed_sizes" not in columns and "full_name" in columns
            db.session.remove()
            db.engine.dispose()
