"""Revision 0004 on its own database: it creates the intake tables, seeds the taxonomies from
app/taxonomy/*.yaml, and goes back down to 0003 cleanly (and up again)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import backend, make_config, require_postgres


@pytest.fixture
def private_database(tmp_path):
    """A database of its own (a file, or a PostgreSQL schema), so the session's stays at head."""
    if backend() != "postgresql":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    url = require_postgres()
    schema = f"custos_mig_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_0004_seeds_the_taxonomies_and_downgrades_cleanly(private_database, tmp_path):
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.extensions import db
    from app.security.master_key import generate_master_key_file

    generate_master_key_file(tmp_path / "master.key")
    app = create_app(make_config(private_database, tmp_path))
    with app.app_context():
        upgrade(revision="0004")
        with db.engine.connect() as conn:
            weapons = conn.execute(sa.text("SELECT code FROM weapon_types ORDER BY position"))
            assert [row[0] for row in weapons][:3] == [
                "unguided_bomb",
                "guided_bomb",
                "cluster_munition",
            ]
            # As many as the shipped file holds now (0004 reads it; "other" came with 0026).
            assert conn.execute(sa.text("SELECT count(*) FROM target_types")).scalar() == 9
        downgrade(revision="0003")
        tables = sa.inspect(db.engine).get_table_names()
        assert not {"incidents", "witnesses", "interviews", "weapon_types"} & set(tables)
        upgrade(revision="0004")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM weapon_types")).scalar() == 10
        db.engine.dispose()
