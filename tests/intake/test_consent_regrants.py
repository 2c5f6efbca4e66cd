"""Consent given back after a withdrawal: asked with its document, in force on a second yes."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from app.custody.models import LedgerEntry
from app.extensions import db
from app.intake.errors import IntakePermissionError, IntakeValidationError
from app.intake.models import ConsentRecord
from app.intake.services.consent import consent_allows, current_consent, record_consent
from app.intake.services.consent_regrants import (
    approve_regrant,
    refuse_regrant,
    request_regrant,
)
from tests.helpers.factories import InvestigationFactory
from tests.helpers.web import post_form
from tests.intake.builders import consent_input, evidence_row, make_witness

NOTHING = {p: False for p in ("interview", "legal_proceedings", "un_sharing", "publication")}


@pytest.fixture
def withdrawn(world):
    witness = make_witness(world.investigation, world.field_a, full_name="Huda Sarraf")
    record_consent(witness, world.field_a, consent_input(**NOTHING, named=False))
    db.session.commit()
    return witness


def refusal_codes(excinfo) -> list[str]:
    return [error.code for error in excinfo.value.errors]


def ledger(witness, action: str) -> list[dict]:
    rows = db.session.scalars(
        select(LedgerEntry.body)
        .where(LedgerEntry.action == action, LedgerEntry.object_id == witness.id)
        .order_by(LedgerEntry.seq)
    )
    return [json.loads(body) for body in rows]


def test_one_person_cannot_give_consent_back_after_a_withdrawal(world, withdrawn):
    with pytest.raises(IntakeValidationError) as excinfo:
        record_consent(withdrawn, world.lawyer, consent_input())
    db.session.rollback()
    assert refusal_codes(excinfo) == ["regrant_needs_document"]
    assert not consent_allows(withdrawn, "legal_proceedings")
    assert current_consent(withdrawn).kind == "withdrawn"


def test_a_regrant_is_in_force_only_after_a_second_reviewer_approves(world, withdrawn):
    document = evidence_row(world.investigation, world.field_a, "document", "application/pdf")
    regrant = request_regrant(withdrawn, world.field_a, consent_input(), document.id)
    db.session.commit()
    assert not consent_allows(withdrawn, "legal_proceedings")  # asked, not yet in force

    approve_regrant(regrant.id, world.lawyer)
    db.session.commit()
    record = current_consent(withdrawn)
    assert consent_allows(withdrawn, "legal_proceedings")
    assert (record.kind, record.recorded_by_id) == ("regranted", world.lawyer.id)
    (asked,) = ledger(withdrawn, "consent_regrant_requested")
    assert asked["actor"]["id"] == world.field_a.id
    assert asked["details"]["document"] == {"evidence": document.id, "sha256": document.sha256}
    assert asked["details"]["allows"]["legal_proceedings"] is True
    approved = ledger(withdrawn, "consent_recorded")[-1]
    assert approved["actor"]["id"] == world.lawyer.id
    assert approved["details"]["kind"] == "regranted"
    assert approved["details"]["regrant"] == {
        "id": regrant.id,
        "requested_by": world.field_a.id,
        "document": document.id,
    }
    assert "Huda" not in json.dumps([asked, approved])


def test_the_asker_cannot_approve_their_own_regrant(world, withdrawn):
    document = evidence_row(world.investigation, world.lawyer, "document", "application/pdf")
    regrant = request_regrant(withdrawn, world.lawyer, consent_input(), document.id)
    db.session.commit()
    with pytest.raises(IntakeValidationError) as excinfo:
        approve_regrant(regrant.id, world.lawyer)
    db.session.rollback()
    assert refusal_codes(excinfo) == ["regrant_own_request"]
    assert not consent_allows(withdrawn, "interview")


def test_field_staff_do_not_decide_a_regrant(world, withdrawn):
    document = evidence_row(world.investigation, world.lawyer, "document", "application/pdf")
    regrant = request_regrant(withdrawn, world.lawyer, consent_input(), document.id)
    db.session.commit()
    with pytest.raises(IntakePermissionError):
        approve_regrant(regrant.id, world.field_a)  # registered the witness, reviews nothing
    db.session.rollback()
    assert not consent_allows(withdrawn, "interview")


def test_a_refused_regrant_leaves_the_withdrawal_in_force_and_is_in_the_ledger(world, withdrawn):
    document = evidence_row(world.investigation, world.field_a, "document", "application/pdf")
    regrant = request_regrant(withdrawn, world.field_a, consent_input(), document.id)
    db.session.commit()
    refuse_regrant(regrant.id, world.lawyer)
    db.session.commit()
    assert not consent_allows(withdrawn, "legal_proceedings")
    (refused,) = ledger(withdrawn, "consent_regrant_refused")
    assert refused["actor"]["id"] == world.lawyer.id
    assert refused["details"] == {"witness": withdrawn.code, "regrant": regrant.id}
    with pytest.raises(IntakeValidationError) as excinfo:
        approve_regrant(regrant.id, world.lawyer_identities)
    assert refusal_codes(excinfo) == ["regrant_not_pending"]


def test_the_document_is_evidence_of_this_investigation_the_asker_may_see(world, withdrawn):
    elsewhere = InvestigationFactory()
    others = [
        None,
        "not-an-id",
        evidence_row(elsewhere, world.field_a, "document", "application/pdf").id,
        # Field staff see only their own uploads.
        evidence_row(world.investigation, world.field_b, "document", "application/pdf").id,
    ]
    for document_id in others:
        with pytest.raises(IntakeValidationError) as excinfo:
            request_regrant(withdrawn, world.field_a, consent_input(), document_id)
        db.session.rollback()
        assert refusal_codes(excinfo) == ["regrant_needs_document"], document_id


def test_a_regrant_asked_before_another_change_cannot_be_approved(world, withdrawn):
    document = evidence_row(world.investigation, world.field_a, "document", "application/pdf")
    regrant = request_regrant(withdrawn, world.field_a, consent_input(), document.id)
    record_consent(
        withdrawn,
        world.field_a,
        consent_input(**NOTHING, named=False, obtained_on=date(2017, 1, 1)),
    )
    db.session.commit()
    with pytest.raises(IntakeValidationError) as excinfo:
        approve_regrant(regrant.id, world.lawyer)
    assert refusal_codes(excinfo) == ["regrant_stale"]


def test_on_the_web_one_asks_and_another_reviewer_approves(world, withdrawn, client_for):
    document = evidence_row(world.investigation, world.field_a, "document", "application/pdf")
    url = world.url(f"/witnesses/{withdrawn.id}/consent")
    data = {
        "consent_interview": "y",
        "consent_legal_proceedings": "y",
        "consent_language": "Arabic",
        "consent_obtained_on": "2017-02-01",
        "consent_obtained_by_id": world.field_a.id,
        "record": "Record this consent",
    }
    field_a = client_for(world.field_a)
    alone = post_form(field_a, url, data, page=url)
    assert alone.status_code == 400
    assert "needs the document of the new consent" in alone.get_data(as_text=True)
    asked = post_form(field_a, url, {**data, "consent_document": document.id}, page=url)
    assert asked.status_code == 302
    assert "Approve: put this consent in force" not in field_a.get(url).get_data(as_text=True)
    db.session.expire_all()
    assert not consent_allows(withdrawn, "legal_proceedings")

    lawyer = client_for(world.lawyer)
    page = lawyer.get(url).get_data(as_text=True)
    assert "waiting for a second reviewer" in page
    regrant_id = page.split("/consent/regrants/")[1].split('"')[0]
    decided = post_form(
        lawyer,
        f"{url}/regrants/{regrant_id}",
        {"approve": "Approve: put this consent in force"},
        page=url,
    )
    assert decided.status_code == 302
    db.session.expire_all()
    assert consent_allows(withdrawn, "legal_proceedings")
    assert not consent_allows(withdrawn, "publication")
    kinds = [r.kind for r in db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.seq))]
    assert kinds == ["given", "withdrawn", "regranted"]
