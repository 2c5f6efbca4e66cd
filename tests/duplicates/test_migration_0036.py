"""Revision 0036 on a database of its own: fingerprints stored before it get their chunk
index, and down again the table is gone."""

from __future__ import annotations

import sqlalchemy as sa

from tests.helpers.instance import fresh_database


def test_0036_indexes_the_fingerprints_already_stored_and_downgrades(tmp_path):
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.duplicates.models import FingerprintFrame, PdqIndexEntry
    from app.duplicates.pdq_index import joined
    from app.extensions import db
    from app.security.master_key import generate_master_key_file
    from app.security.org_keys import init_keys, master_key
    from tests.conftest import make_config
    from tests.duplicates.support import Team, add_item, flat, jpeg, scene

    generate_master_key_file(tmp_path / "master.key")
    with fresh_database(tmp_path / "m.db", "custos_mig40") as url:
        app = create_app(make_config(url, tmp_path))
        with app.app_context():
            upgrade()
            init_keys(tmp_path / "keys", master_key())
            team = Team()
            add_item(team.investigation, team.lawyer, jpeg(scene(70)))
            add_item(team.investigation, team.lawyer, flat())  # featureless: not indexed
            db.session.commit()
            downgrade(revision="0035")
            assert "pdq_index" not in sa.inspect(db.engine).get_table_names()
            upgrade(revision="0036")
            frames = {f.id: f for f in db.session.scalars(sa.select(FingerprintFrame))}
            entries = list(db.session.scalars(sa.select(PdqIndexEntry)))
            assert len(frames) == 2 and len(entries) == 1
            (entry,) = entries
            stored = frames[entry.frame_id]
            assert stored.quality >= 50 and entry.investigation_id == team.investigation.id
            parts = (getattr(entry, f"c{i}") for i in range(11))
            assert joined(parts) == int(stored.hash_hex, 16)
            db.session.remove()
            db.engine.dispose()
