"""The bytes stored per sealed field (app/security/sealed_sizes.py) follow every write: set when
a value is sealed, changed when it is rewritten, gone when it is cleared."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.intake.models import Interview, Witness
from tests.intake.builders import make_interview, make_witness


def stored_length(table: str, column: str, row_id: str) -> int:
    return db.session.execute(
        sa.text(f"SELECT length({column}) FROM {table} WHERE id = :id"), {"id": row_id}
    ).scalar_one()


def test_a_new_witness_records_the_size_of_each_sealed_field_it_holds(world):
    witness = make_witness(world.investigation, world.field_a, full_name="Amal Haddad")
    db.session.expire_all()
    sizes = db.session.get(Witness, witness.id).sealed_sizes
    assert sizes["full_name"] == stored_length("witnesses", "full_name", witness.id)
    assert all(sizes[name] > 0 for name in sizes)


def test_rewriting_and_clearing_testimony_follows_in_the_sizes(world):
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(world.investigation, world.field_a, witness, notes="short")
    before = dict(interview.sealed_sizes)
    interview.transcript = "A much longer transcript than the one before. " * 20
    interview.notes = None
    db.session.commit()
    db.session.expire_all()
    after = db.session.get(Interview, interview.id).sealed_sizes
    assert after["transcript"] == stored_length("interviews", "transcript", interview.id)
    assert after["transcript"] > before["transcript"]
    assert "notes" in before and "notes" not in after
    assert after["place"] == before["place"]
