"""Witness identities, testimony, places and field notes are sealed to the organisation's
recipient: the row holds no plaintext, a node without the identity writes them and reads the
sentence "sealed to a key this node does not hold", the reading node reads them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import undefer_group

from app.extensions import db
from app.intake.models import Interview, Witness
from app.intake.models.interviews import TESTIMONY_GROUP
from app.intake.models.witnesses import IDENTITY_GROUP
from app.security.field_sealing import (
    UNREADABLE_MESSAGE,
    UnreadableText,
    UnreadableValueRefused,
    recipient_id,
)
from app.security.org_keys import all_recipients
from tests.api.helpers import ApiClient, issue_token
from tests.helpers.web import post_form
from tests.intake.builders import make_incident, make_interview, make_witness

NAME = "Amal Marker-5150 Haddad"
TRANSCRIPT = "Marker sentence 7731: the second strike hit the clinic entrance."
PLACE = "Marker-place 4242, a flat above the bakery"


def raw(table: str, column: str, row_id: str) -> bytes:
    value = db.session.execute(
        sa.text(f"SELECT {column} FROM {table} WHERE id = :id"), {"id": row_id}
    ).scalar_one()
    return bytes(value)


def load_witness(witness_id: str) -> Witness:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Witness).options(undefer_group(IDENTITY_GROUP)).where(Witness.id == witness_id)
    ).one()


def load_interview(interview_id: str) -> Interview:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Interview)
        .options(undefer_group(TESTIMONY_GROUP))
        .where(Interview.id == interview_id)
    ).one()


def test_the_rows_hold_no_plaintext_only_values_sealed_to_the_current_recipient(world, keys):
    witness = make_witness(world.investigation, world.field_a, full_name=NAME)
    interview = make_interview(
        world.investigation, world.field_a, witness, transcript=TRANSCRIPT, place=PLACE
    )
    current = recipient_id(all_recipients()[-1])
    for table, column, row_id, marker in (
        ("witnesses", "full_name", witness.id, b"Marker-5150"),
        ("interviews", "transcript", interview.id, b"Marker sentence 7731"),
        ("interviews", "place", interview.id, b"Marker-place 4242"),
    ):
        value = raw(table, column, row_id)
        assert marker not in value
        assert value[:1] == b"\x02" and value[1:5] == current, (table, column)


def test_an_incident_description_is_sealed_too(world, keys):
    incident = make_incident(world.investigation, world.field_a, description=TRANSCRIPT)
    assert b"Marker sentence" not in raw("incidents", "description", incident.id)
    assert raw("incidents", "description", incident.id)[:1] == b"\x02"


def test_a_node_without_the_identity_writes_a_witness_and_reads_the_sentence(world, nodes):
    nodes.intake()
    witness = make_witness(world.investigation, world.field_a, full_name=NAME)
    seen = load_witness(witness.id)
    assert isinstance(seen.full_name, UnreadableText)
    assert seen.full_name == UNREADABLE_MESSAGE
    nodes.reader()
    assert load_witness(witness.id).full_name == NAME


def test_a_node_without_the_identity_writes_testimony_the_reading_node_reads(world, nodes):
    nodes.intake()
    witness = make_witness(world.investigation, world.field_a, full_name=NAME)
    interview = make_interview(world.investigation, world.field_a, witness, transcript=TRANSCRIPT)
    assert load_interview(interview.id).transcript == UNREADABLE_MESSAGE
    nodes.reader()
    assert load_interview(interview.id).transcript == TRANSCRIPT


def test_a_node_that_cannot_read_a_value_does_not_replace_it(world, nodes):
    witness = make_witness(world.investigation, world.field_a, full_name=NAME)
    nodes.intake()
    seen = load_witness(witness.id)
    seen.full_name = "A name typed over the placeholder"
    with pytest.raises(UnreadableValueRefused) as refused:
        db.session.flush()
    assert refused.value.status == 409 and "replace" in refused.value.detail
    db.session.rollback()
    nodes.reader()
    assert load_witness(witness.id).full_name == NAME


def test_the_placeholder_is_never_stored_as_a_value(world, nodes):
    witness = make_witness(world.investigation, world.field_a, full_name=NAME)
    nodes.intake()
    placeholder = load_witness(witness.id).full_name
    copy = Witness(
        investigation_id=world.investigation.id,
        number=99,
        code="W-0099",
        risk_level="low",
        full_name=placeholder,
    )
    db.session.add(copy)
    with pytest.raises(UnreadableValueRefused) as refused:
        db.session.flush()
    assert "placeholder" in refused.value.detail
    db.session.rollback()


def test_other_columns_of_a_row_change_without_touching_its_sealed_values(world, nodes):
    witness = make_witness(world.investigation, world.field_a, full_name=NAME)
    nodes.intake()
    seen = load_witness(witness.id)
    seen.risk_level = "low"
    db.session.commit()
    nodes.reader()
    assert load_witness(witness.id).full_name == NAME


def test_a_value_copied_into_another_witness_row_is_refused(world, keys):
    from app.security.field_crypto import FieldDecryptionError

    first = make_witness(world.investigation, world.field_a, full_name=NAME)
    second = make_witness(world.investigation, world.field_a, full_name="Someone Else")
    db.session.execute(
        sa.text("UPDATE witnesses SET full_name = :v WHERE id = :id"),
        {"v": raw("witnesses", "full_name", first.id), "id": second.id},
    )
    db.session.commit()
    with pytest.raises(FieldDecryptionError, match="another row"):
        load_witness(second.id).full_name  # noqa: B018


def revealed(client, witness_url: str) -> str:
    """The witness page (no identity on it), then its reveal page after a stated reason."""
    page = client.get(witness_url)
    assert page.status_code == 200
    assert "Marker-5150" not in page.get_data(as_text=True)
    reveal = witness_url + "/identity"
    shown = post_form(client, reveal, {"access_reason": "case_review"}, page=reveal)
    assert shown.status_code == 200
    return shown.get_data(as_text=True)


def test_a_reading_node_missing_its_identity_shows_the_sentence_on_the_witness_page(
    world, nodes, client_for
):
    witness = make_witness(world.investigation, world.field_a, full_name=NAME)
    nodes.intake(intake_only=False)  # a misconfigured reading node: public files only
    body = revealed(client_for(world.lawyer_identities), world.url(f"/witnesses/{witness.id}"))
    assert UNREADABLE_MESSAGE in body and "Marker-5150" not in body


def test_the_sentence_is_translated(world, nodes, client_for):
    witness = make_witness(world.investigation, world.field_a, full_name=NAME)
    world.lawyer_identities.language = "ru"
    db.session.commit()
    nodes.intake(intake_only=False)
    body = revealed(client_for(world.lawyer_identities), world.url(f"/witnesses/{witness.id}"))
    assert UNREADABLE_MESSAGE not in body and "не хранит" in body


def test_a_reading_node_missing_its_identity_answers_the_api_with_the_sentence(app, world, nodes):
    witness = make_witness(world.investigation, world.field_a, full_name=NAME)
    interview = make_interview(world.investigation, world.field_a, witness, transcript=TRANSCRIPT)
    nodes.intake(intake_only=False)
    api = ApiClient(app.test_client(), issue_token(world.lawyer_identities))
    base = f"/investigations/{world.ref}"
    # An identity is read with a stated reason (app/accesslog), through the API as on the web.
    shown = api.get(f"{base}/witnesses/{witness.id}", headers={"X-Access-Reason": "case_review"})
    assert shown.status_code == 200
    assert shown.get_json()["identity"]["full_name"] == UNREADABLE_MESSAGE
    testimony = api.get(f"{base}/interviews/{interview.id}")
    assert testimony.status_code == 200
    assert testimony.get_json()["transcript"] == UNREADABLE_MESSAGE


def test_witness_search_matches_codes_never_sealed_names(world, keys):
    from app.intake.services.testimony_lists import list_witnesses
    from app.investigations.viewer import viewer_of

    first = make_witness(world.investigation, world.field_a, full_name=NAME)
    make_witness(world.investigation, world.field_a, full_name="Other Person")
    viewer = viewer_of(world.investigation, world.lawyer_identities)
    assert list_witnesses(viewer, q="Marker-5150").total == 0
    found = list_witnesses(viewer, q=first.code)
    assert [item["code"] for item in found.items] == [first.code]
    assert NAME not in repr(found.items)  # a list names no one, even to the grant's holder
    assert [item["code"] for item in list_witnesses(viewer).items] == ["W-0002", "W-0001"]


def test_editing_an_incident_on_the_intake_node_refuses_to_overwrite_its_description(
    world, nodes, client_for
):
    from app.intake.models import Incident
    from tests.helpers.web import csrf_token
    from tests.intake.helpers import incident_form

    incident = make_incident(world.investigation, world.field_a, description=TRANSCRIPT)
    nodes.intake()
    client = client_for(world.field_a)
    url = world.url(f"/incidents/{incident.id}/edit")
    data = incident_form(description="Typed over it", csrf_token=csrf_token(client, url))
    answer = client.post(url, data=data)
    assert answer.status_code == 409
    assert "Change it on the reading node" in answer.get_data(as_text=True)
    nodes.reader()
    assert db.session.get(Incident, incident.id).description == TRANSCRIPT
