"""tests/helpers/snapshot.py: a shared world comes back whole before each test that uses it."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.investigations.models import Investigation
from tests.helpers.factories import InvestigationFactory


def build():
    return InvestigationFactory(title="As built").id


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Investigation))


def test_a_restored_world_undoes_what_a_test_changed_added_and_deleted(app, app_ctx, shared_worlds):
    kept = shared_worlds.get("one", build)
    db.session.get(Investigation, kept).title = "Changed"
    added = InvestigationFactory().id
    db.session.commit()
    assert count() == 2

    assert shared_worlds.get("one", build) == kept
    assert count() == 1
    assert db.session.get(Investigation, kept).title == "As built"
    # A row added after the restore takes a new id (a reused one would raise IntegrityError).
    assert InvestigationFactory().id != kept
    db.session.delete(db.session.get(Investigation, kept))
    db.session.commit()

    assert shared_worlds.get("one", build) == kept
    assert db.session.get(Investigation, kept).title == "As built"
    assert added != kept


def test_a_new_key_builds_on_empty_tables(app, app_ctx, shared_worlds):
    other = shared_worlds.get("two", build)
    assert count() == 1
    assert db.session.get(Investigation, other).title == "As built"


def test_a_test_without_shared_worlds_finds_the_tables_empty(app, app_ctx):
    assert count() == 0
