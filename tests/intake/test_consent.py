"""Informed consent: recorded with the witness, changed or withdrawn by new records (never by
editing or deleting), shown with its history, and asked by exports through consent_allows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.intake.errors import ImmutableRecordError
from app.intake.models import ConsentRecord
from app.intake.services.consent import consent_allows, current_consent, record_consent
from app.intake.services.witnesses import WitnessInput, register_witness
from tests.helpers.web import post_form
from tests.intake.builders import consent_input, make_witness


def consent_page(world, witness) -> str:
    return world.url(f"/witnesses/{witness.id}/consent")


def test_registration_records_the_first_consent(world):
    witness = make_witness(world.investigation, world.field_a)
    record = current_consent(witness)
    assert record.kind == "given" and record.seq == 1 and record.supersedes_id is None
    assert record.obtained_by_id == world.field_a.id and (
        record.language,
        record.language_code,
    ) == ("ar", "ar")
    assert consent_allows(witness, "legal_proceedings") and consent_allows(witness, "named")


def test_a_withdrawn_consent_is_shown_on_the_witness_and_stops_legal_use(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    assert consent_allows(witness, "legal_proceedings")
    client = client_for(world.field_a)
    url = consent_page(world, witness)
    data = {
        "consent_language": "Arabic",
        "consent_obtained_on": "2016-09-01",
        "consent_obtained_by_id": world.field_a.id,
        "withdraw_all": "Record withdrawal of all consent",
    }
    assert post_form(client, url, data, page=url).status_code == 302
    db.session.expire_all()
    for purpose in ("interview", "legal_proceedings", "un_sharing", "publication", "named"):
        assert not consent_allows(witness, purpose), purpose
    records = db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.seq)).all()
    assert [r.kind for r in records] == ["given", "withdrawn"]  # the grant is still there
    assert records[1].supersedes_id == records[0].id
    for user in (world.field_a, world.lawyer):
        page = client_for(user).get(world.url(f"/witnesses/{witness.id}")).get_data(as_text=True)
        assert "Consent was withdrawn on September 1, 2016" in page
        assert "Withdrawn" in page and "Given" in page  # the history shows both


def test_withdrawing_one_purpose_keeps_the_others(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    client = client_for(world.field_a)
    url = consent_page(world, witness)
    data = {
        "consent_interview": "y",
        "consent_legal_proceedings": "y",
        "consent_un_sharing": "y",
        "consent_named": "y",
        "consent_language": "Kurdish",
        "consent_obtained_on": "2016-09-01",
        "consent_obtained_by_id": world.field_a.id,
        "record": "Record this consent",
    }
    assert post_form(client, url, data, page=url).status_code == 302
    db.session.expire_all()
    assert current_consent(witness).kind == "withdrawn"
    assert not consent_allows(witness, "publication")
    assert consent_allows(witness, "legal_proceedings")


def test_a_reviewer_can_record_a_withdrawal_that_reached_them(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    client = client_for(world.lawyer)
    url = consent_page(world, witness)
    data = {
        "consent_language": "Arabic",
        "consent_obtained_on": "2016-10-01",
        "consent_obtained_by_id": world.lawyer.id,
        "withdraw_all": "Record withdrawal of all consent",
    }
    assert post_form(client, url, data, page=url).status_code == 302
    db.session.expire_all()
    record = current_consent(witness)
    assert record.kind == "withdrawn" and record.recorded_by_id == world.lawyer.id


def test_consent_records_are_never_edited_or_deleted(world):
    witness = make_witness(world.investigation, world.field_a)
    record = current_consent(witness)
    record.legal_proceedings = False
    with pytest.raises(ImmutableRecordError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(ConsentRecord, record.id))
    with pytest.raises(ImmutableRecordError):
        db.session.commit()
    db.session.rollback()
    assert consent_allows(witness, "legal_proceedings")


def test_no_record_means_no_consent(world):
    witness = register_witness(world.investigation, world.field_a, WitnessInput("low"))
    db.session.commit()
    assert current_consent(witness) is None
    assert not consent_allows(witness, "interview")
    with pytest.raises(ValueError):
        consent_allows(witness, "marketing")


def test_consent_can_be_changed_again_after_a_withdrawal_without_giving_anything_back(world):
    witness = make_witness(world.investigation, world.field_a)
    record_consent(witness, world.field_a, consent_input(publication=False, named=False))
    record_consent(
        witness,
        world.field_a,
        consent_input(obtained_on=date(2017, 1, 5), publication=False, named=False),
    )
    db.session.commit()
    kinds = [r.kind for r in db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.seq))]
    assert kinds == ["given", "withdrawn", "changed"]
    assert consent_allows(witness, "legal_proceedings") and not consent_allows(
        witness, "publication"
    )


def test_each_consent_change_is_a_custody_event_naming_the_pseudonym_only(world):
    import json

    from app.custody.models import LedgerEntry
    from app.intake.services.consent import withdraw_consent

    witness = make_witness(world.investigation, world.field_a, full_name="Huda Sarraf")
    record_consent(witness, world.field_a, consent_input(un_sharing=False))
    withdraw_consent(witness, world.field_a, "Arabic", date(2016, 9, 1))
    db.session.commit()
    entries = [
        json.loads(row.body)
        for row in db.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.action == "consent_recorded", LedgerEntry.object_id == witness.id)
            .order_by(LedgerEntry.seq)
        )
    ]
    assert [e["details"]["kind"] for e in entries] == ["given", "withdrawn", "withdrawn"]
    assert [e["details"]["allows"]["un_sharing"] for e in entries] == [True, False, False]
    assert not any(e["details"]["allows"]["legal_proceedings"] for e in entries[2:])
    assert all(e["details"]["witness"] == witness.code for e in entries)
    assert not any("Huda" in json.dumps(e) for e in entries)
