"""Witnesses through the API: registration with explicit consent, the pseudonym everywhere,
withdrawal recorded as a new consent record, validation named by the JSON path."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.intake.models import ConsentRecord, Witness
from app.intake.services.consent import consent_allows
from tests.api.helpers import ALL_CONSENT, error_of, witness_body


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_registration_gives_the_next_code_and_records_consent(world):
    api = world.api(world.field_a)
    first = api.post(world.path("/witnesses"), json=witness_body())
    second = api.post(world.path("/witnesses"), json=witness_body())
    assert first.status_code == 201
    assert first.headers["Location"].endswith(f"/witnesses/{first.get_json()['id']}")
    assert [first.get_json()["code"], second.get_json()["code"]] == ["W-0001", "W-0002"]
    consent = first.get_json()["consent"]
    assert consent["kind"] == "given" and all(consent["purposes"].values())
    assert consent["obtained_by"]["id"] == world.field_a.id


def test_withdrawal_is_a_new_record_and_honoured(world):
    api = world.api(world.field_a)
    witness = api.post(world.path("/witnesses"), json=witness_body()).get_json()
    response = api.post(
        world.path(f"/witnesses/{witness['id']}/consent/withdraw"), json={"language": "Arabic"}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["consent"]["kind"] == "withdrawn"
    assert not any(body["consent"]["purposes"].values())
    assert [r["kind"] for r in body["consent_history"]] == ["withdrawn", "given"]
    assert count(ConsentRecord) == 2
    assert not consent_allows(db.session.get(Witness, witness["id"]), "legal_proceedings")


def test_consent_must_be_explicit_and_errors_name_the_json_fields(world):
    api = world.api(world.field_a)
    partial = {k: v for k, v in ALL_CONSENT.items() if k != "publication"}
    response = api.post(
        world.path("/witnesses"),
        json=witness_body(
            consent=dict(partial, language=""),
            identity={"date_of_birth": "next year"},
            risk_level="",
        ),
    )
    assert response.status_code == 422
    fields = error_of(response)["fields"]
    assert fields["consent.publication"][0]["code"] == "required"
    assert count(Witness) == 0
    # With the shape right, the service's own rules name the rest the same way.
    response = api.post(
        world.path("/witnesses"),
        json=witness_body(
            consent=dict(ALL_CONSENT, language="", obtained_on="2999-01-01"),
            identity={"date_of_birth": "next year"},
            risk_level="",
        ),
    )
    fields = error_of(response)["fields"]
    assert fields["consent.language"][0]["code"] == "required"
    assert fields["consent.obtained_on"][0]["code"] == "date_in_future"
    assert fields["identity.date_of_birth"][0]["code"] == "invalid_date_of_birth"
    assert fields["risk_level"][0]["code"] == "required"
    assert count(Witness) == 0 and count(ConsentRecord) == 0


def test_missing_consent_and_unknown_fields_are_refused(world):
    api = world.api(world.field_a)
    no_consent = api.post(world.path("/witnesses"), json={"risk_level": "low"})
    assert error_of(no_consent)["fields"]["consent"][0]["code"] == "required"
    typo = api.post(world.path("/witnesses"), json=witness_body(riskLevel="low"))
    assert error_of(typo)["fields"]["riskLevel"][0]["code"] == "unknown_field"
    assert count(Witness) == 0


def test_markup_and_sql_metacharacters_come_back_verbatim_as_data(world):
    api = world.api(world.lawyer_identities)
    name = "<script>alert(1)</script>'; DROP TABLE witnesses; --"
    witness = api.post(
        world.path("/witnesses"), json=witness_body(identity={"full_name": name})
    ).get_json()
    response = api.get(
        world.path(f"/witnesses/{witness['id']}"), headers={"X-Access-Reason": "verification"}
    )
    assert response.mimetype == "application/json"
    assert response.get_json()["identity"]["full_name"] == name
    assert count(Witness) == 1


def test_the_consent_language_is_stored_as_its_code_and_a_stranger_refused(world):
    """Issue 21, item 1: a code of the list, or a name read into it; anything else 422."""
    api = world.api(world.field_a)
    named = api.post(world.path("/witnesses"), json=witness_body())  # "language": "Arabic"
    assert named.status_code == 201
    consent = named.get_json()["consent"]
    assert (consent["language"], consent["language_code"]) == ("ar", "ar")
    body = witness_body()
    body["consent"] = dict(body["consent"], language="Syrian dialect")
    refused = api.post(world.path("/witnesses"), json=body)
    assert refused.status_code == 422
    assert error_of(refused)["fields"]["consent.language"][0]["code"] == "unknown_language"
    assert count(Witness) == 1
