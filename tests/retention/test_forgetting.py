"""A witness's request to be forgotten: two people; the identity goes, the code stays, and the
testimony stays only where a hold or an earlier legal-proceedings consent requires it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.intake.models.interviews import Interview
from app.intake.models.witnesses import Witness
from app.intake.services.taxonomy import sync_taxonomies
from app.retention import decisions, forgetting, holds
from app.retention.errors import HeldByLegalHold, SecondPersonRequired
from app.retention.models import RetentionRequest
from tests.intake.builders import consent_input, make_interview, make_witness
from tests.retention.support import casefile_with, finished_export
from tests.retention.test_disposition import ledger

IDENTITY = dict(full_name="Amal Haddad", contact="+963 955 000 111", date_of_birth="1980-02-01")


@pytest.fixture
def witness(world):
    sync_taxonomies()
    db.session.commit()

    def _make(legal_proceedings: bool):
        consent = consent_input(legal_proceedings=legal_proceedings, named=False)
        made = make_witness(world.investigation, world.field, consent, **IDENTITY)
        make_interview(world.investigation, world.field, made)
        return made

    return _make


def raw_witness(witness_id: str) -> dict:
    row = db.session.execute(
        text(
            "SELECT full_name, date_of_birth, contact, current_location, code FROM witnesses "
            "WHERE id = :id"
        ),
        {"id": witness_id},
    ).one()
    return dict(row._mapping)


def raw_transcript(witness_id: str):
    return db.session.execute(
        text("SELECT transcript FROM interviews WHERE witness_id = :id"), {"id": witness_id}
    ).scalar_one()


def forget(world, witness) -> RetentionRequest:
    request = forgetting.request_forgetting(
        world.viewer(world.asker), witness.code, "Asked by phone"
    )
    db.session.commit()
    decisions.approve(world.viewer(world.approver), request.id)
    db.session.commit()
    return db.session.get(RetentionRequest, request.id)


def test_forgetting_destroys_every_identity_field_and_keeps_the_code(app, world, witness):
    made = witness(legal_proceedings=False)
    request = forget(world, made)
    row = raw_witness(made.id)
    assert row["full_name"] is None and row["contact"] is None and row["date_of_birth"] is None
    assert row["code"] == made.code
    assert any(made.code in entry["what"] for entry in request.kept)
    [entry] = ledger("identity_destroyed")
    assert entry["object"]["id"] == made.id and entry["details"]["testimony"] == "destroyed"
    assert "Amal" not in str(ledger("identity_destroyed"))


def test_without_hold_or_legal_consent_the_testimony_goes_too(app, world, witness):
    made = witness(legal_proceedings=False)
    forget(world, made)
    assert raw_transcript(made.id) is None


def test_an_earlier_legal_proceedings_consent_keeps_the_testimony_and_says_so(app, world, witness):
    made = witness(legal_proceedings=True)
    request = forget(world, made)
    assert raw_transcript(made.id) is not None
    assert raw_witness(made.id)["full_name"] is None
    assert any("legal proceedings" in entry["why"] for entry in request.kept)


def test_a_case_wide_hold_keeps_the_testimony_and_names_the_hold(app, world, witness):
    made = witness(legal_proceedings=False)
    holds.place_hold(
        world.viewer(world.asker), holds.HoldInput("investigation", "", "ICC", "ICC-9", "Trial")
    )
    db.session.commit()
    request = forget(world, made)
    assert raw_transcript(made.id) is not None
    assert any("ICC-9" in entry["why"] for entry in request.kept)


def test_a_hold_on_the_witness_refuses_the_request_and_changes_nothing(app, world, witness):
    made = witness(legal_proceedings=False)
    holds.place_hold(
        world.viewer(world.asker), holds.HoldInput("witness", made.code, "Court", "W-ORD", "Keep")
    )
    db.session.commit()
    with pytest.raises(HeldByLegalHold, match="W-ORD"):
        forgetting.request_forgetting(world.viewer(world.asker), made.code, "Asked")
    db.session.rollback()
    assert raw_witness(made.id)["full_name"] is not None
    assert db.session.scalar(select(func.count()).select_from(RetentionRequest)) == 0
    assert [e["object"]["id"] for e in ledger("disposition_blocked")] == [made.id]


def test_the_requester_cannot_approve_forgetting(app, world, witness):
    made = witness(legal_proceedings=False)
    request = forgetting.request_forgetting(world.viewer(world.asker), made.code, "Asked")
    db.session.commit()
    with pytest.raises(SecondPersonRequired):
        decisions.approve(world.viewer(world.asker), request.id)
    db.session.rollback()
    assert raw_witness(made.id)["full_name"] is not None
    assert db.session.scalar(select(Interview.transcript).limit(1)) is not None
    assert db.session.get(Witness, made.id) is not None


def named_export(world, witness, tmp_path):
    bag = tmp_path / "named.tar"
    casefile = casefile_with(world, "CF-T-NAMED")
    return finished_export(world, casefile, bag, named_witness_ids=[witness.id]), bag


def test_forgetting_withdraws_exports_that_name_the_witness(app, world, witness, tmp_path):
    made = witness(legal_proceedings=True)
    export, bag = named_export(world, made, tmp_path)
    forget(world, made)
    assert not bag.exists()
    assert "forgotten" in db.session.get(type(export), export.id).withdrawn_reason


def test_a_held_export_naming_the_witness_stays_and_the_reviewer_is_told(
    app, world, witness, tmp_path
):
    made = witness(legal_proceedings=True)
    _, bag = named_export(world, made, tmp_path)
    holds.place_hold(
        world.viewer(world.asker), holds.HoldInput("casefile", "CF-T-NAMED", "ICC", "C-4", "Keep")
    )
    db.session.commit()
    request = forget(world, made)
    assert bag.exists()
    assert any("export" in entry["what"] and "C-4" in entry["why"] for entry in request.kept)
