"""The witness-with-consent form: a witness registered from a phone, sealed as on the web."""

from __future__ import annotations

import sqlalchemy as sa
from defusedxml.ElementTree import fromstring
from sqlalchemy import select

from app.extensions import db
from app.intake.models import ConsentRecord, Witness
from tests.openrosa.conftest import ledger, stored_counts
from tests.openrosa.phone import form_instance, new_instance_id

NAME = "Samira Haddad"


def witness_xml(instance_id: str, **overrides) -> bytes:
    values = {
        "risk_level": "high",
        "full_name": NAME,
        "date_of_birth": "1980",
        "contact": "+963 11 000 0000",
        "current_location": "Gaziantep",
        **{f"consent_{p}": "yes" for p in ("interview", "legal_proceedings", "un_sharing")},
        "consent_publication": "no",
        "consent_named": "no",
        "consent_obtained_on": "2026-12-01",
        "consent_language": "Arabic",
        **overrides,
    }
    return form_instance("custos_witness", instance_id, values)


def test_the_witness_form_downloads_and_carries_no_identity(phone, world):
    entry = next(f for f in phone.forms() if f["formID"] == "custos_witness")
    body = phone.download(entry["downloadUrl"]).data
    assert fromstring(body) is not None
    assert b"Rania" not in body and world.witness.code.encode() not in body


def test_a_witness_sent_from_a_phone_is_registered_once_with_consent_and_sealed(phone, world):
    instance_id = new_instance_id()
    first = phone.submit(witness_xml(instance_id), [])
    assert first.status_code == 201
    again = phone.submit(witness_xml(instance_id), [])
    assert (again.status_code, again.data) == (201, first.data)
    db.session.expire_all()
    [witness] = db.session.scalars(select(Witness).where(Witness.id != world.witness.id)).all()
    assert witness.created_by_id == world.field_a.id
    raw = db.session.execute(
        sa.text("SELECT full_name FROM witnesses WHERE id = :id"), {"id": witness.id}
    ).scalar()
    assert NAME.encode() not in bytes(raw if isinstance(raw, bytes) else raw.encode())
    [consent] = db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.witness_id == witness.id)
    ).all()
    assert (consent.interview, consent.publication) == (True, False)
    [entry] = ledger("received_via_openrosa")
    assert entry["object"] == {"type": "witness", "id": witness.id}
    assert NAME not in str(entry)


def test_the_new_witness_is_then_offered_in_the_interview_form(phone, world):
    assert phone.submit(witness_xml(new_instance_id()), []).status_code == 201
    entry = next(f for f in phone.forms() if f["formID"] == "custos_interview")
    body = phone.download(entry["downloadUrl"]).data.decode()
    assert "W-0002" in body and NAME not in body


def test_a_witness_the_intake_refuses_leaves_nothing_half_stored(phone, world):
    before = stored_counts()
    witnesses = len(db.session.scalars(select(Witness)).all())
    response = phone.submit(witness_xml(new_instance_id(), date_of_birth="last spring"), [])
    assert response.status_code == 400
    assert b"date_of_birth" in response.data
    assert stored_counts() == before
    assert len(db.session.scalars(select(Witness)).all()) == witnesses
