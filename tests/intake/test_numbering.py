"""Witness pseudonym codes: W-0001, W-0002... per investigation, never used twice, even when
several people register witnesses at the same moment."""

from __future__ import annotations

import threading
from uuid import uuid4

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.intake.models import Witness
from app.intake.services.witnesses import WitnessInput, register_witness
from tests.helpers.factories import InvestigationFactory, MembershipFactory
from tests.intake.builders import make_witness


def test_codes_follow_each_other_within_an_investigation(world):
    codes = [make_witness(world.investigation, world.field_a).code for _ in range(3)]
    assert codes == ["W-0001", "W-0002", "W-0003"]
    other = InvestigationFactory()
    MembershipFactory(user=world.field_a, investigation=other)
    assert make_witness(other, world.field_a).code == "W-0001"


def test_the_database_refuses_a_code_twice(world):
    first = make_witness(world.investigation, world.field_a)
    clash = Witness(
        investigation_id=world.investigation.id,
        number=first.number,
        code=first.code,
        risk_level="low",
        created_by_id=world.field_a.id,
    )
    db.session.add(clash)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_retried_registration_does_not_make_a_second_witness(world):
    client_id = str(uuid4())
    first = register_witness(
        world.investigation, world.field_a, WitnessInput("low"), client_id=client_id
    )
    db.session.commit()
    again = register_witness(
        world.investigation, world.field_a, WitnessInput("low"), client_id=client_id
    )
    assert again.id == first.id
    assert db.session.scalars(select(Witness.code)).all() == ["W-0001"]


def test_concurrent_registrations_get_distinct_codes(app, world):
    investigation_id, user_id = world.investigation.id, world.field_a.id
    workers, errors = 6, []
    barrier = threading.Barrier(workers)

    def register() -> None:
        with app.app_context():
            from app.auth.models import User
            from app.investigations.models import Investigation

            try:
                investigation = db.session.get(Investigation, investigation_id)
                user = db.session.get(User, user_id)
                barrier.wait(timeout=10)
                register_witness(investigation, user, WitnessInput("medium"))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 (collected and reported below)
                errors.append(repr(exc))
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=register) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    codes = sorted(db.session.scalars(select(Witness.code)))
    assert codes == [f"W-{n:04d}" for n in range(1, workers + 1)]
