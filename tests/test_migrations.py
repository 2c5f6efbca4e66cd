"""The schema built by the Alembic revisions equals the models: no pending autogenerate diff."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db, render_migration_type


def test_migrated_schema_matches_models(app_ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_item": render_migration_type}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"


def test_migrations_run_on_this_backend(app_ctx):
    with db.engine.connect() as conn:
        version = MigrationContext.configure(conn).get_current_revision()
    assert version is not None
