"""On an intake-only node field staff submit and get receipts (what was received, bytes stored,
SHA-256, time, custody entry), never the content read back; the reading node reads it all."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from app.custody.models import LedgerEntry
from app.extensions import db
from app.intake.models import Interview, Witness
from app.intake.services.sealing import verify_sealed_testimony
from tests.api.helpers import ApiClient, issue_token
from tests.helpers.web import csrf_token
from tests.intake.builders import make_interview, make_witness
from tests.intake.helpers import interview_form, witness_form

NAME = "Amal Marker-5150 Haddad"
TRANSCRIPT = "Marker sentence 7731: the second strike hit the clinic entrance."


def submit(client, url: str, data: dict):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def test_registering_a_witness_answers_a_receipt_without_the_identity(world, nodes, client_for):
    nodes.intake()
    client = client_for(world.field_a)
    saved = submit(client, world.url("/witnesses/new"), witness_form(full_name=NAME))
    assert saved.status_code == 302
    page = client.get(saved.headers["Location"])
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Marker-5150" not in body and "Gaziantep" not in body
    witness = db.session.scalars(sa.select(Witness)).one()
    entry = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.object_id == witness.id))
    entry = entry.one()
    assert witness.code in body and "Receipt" in body
    assert f"Entry {entry.id} " in body and entry.entry_hash in body
    assert re.search(r"sealed, \d+ bytes stored", body)


def test_a_cleared_lawyer_on_the_intake_node_sees_the_receipt_not_the_name(
    world, nodes, client_for
):
    witness = make_witness(world.investigation, world.field_a, full_name=NAME)
    nodes.intake()
    body = client_for(world.lawyer_identities).get(world.url(f"/witnesses/{witness.id}"))
    assert body.status_code == 200
    text = body.get_data(as_text=True)
    assert "Marker-5150" not in text and "sealed to a key" not in text and "Receipt" in text


def test_save_and_seal_on_the_intake_node_seals_in_one_request(world, nodes, client_for):
    witness = make_witness(world.investigation, world.field_a)
    nodes.intake()
    client = client_for(world.field_a)
    form = interview_form(witness.id, transcript=TRANSCRIPT, save_and_seal="Save and seal")
    form.pop("save")
    saved = submit(client, world.url("/interviews/new"), form)
    assert saved.status_code == 302
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    interview = db.session.scalars(sa.select(Interview)).one()
    assert interview.is_sealed and interview.content_hash in page
    assert "Marker sentence" not in page and "testimony_sealed" in page
    nodes.reader()
    sealed = db.session.get(Interview, interview.id)
    assert sealed.transcript == TRANSCRIPT and verify_sealed_testimony(sealed)


def test_the_intake_node_refuses_to_seal_a_draft_it_cannot_read(world, nodes, client_for):
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(world.investigation, world.field_a, witness, transcript=TRANSCRIPT)
    nodes.intake()
    client = client_for(world.field_a)
    url = world.url(f"/interviews/{interview.id}/seal")
    answer = client.post(url, data={"csrf_token": csrf_token(client, world.url("/interviews"))})
    assert answer.status_code == 409
    db.session.expire_all()
    assert db.session.get(Interview, interview.id).content_hash is None


def test_the_intake_node_refuses_to_edit_testimony_it_cannot_read(world, nodes, client_for):
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(world.investigation, world.field_a, witness, transcript=TRANSCRIPT)
    nodes.intake()
    client = client_for(world.field_a)
    url = world.url(f"/interviews/{interview.id}/edit")
    assert client.get(url).status_code == 409
    answer = submit(client, url, interview_form(witness.id, transcript="overwritten"))
    assert answer.status_code == 409
    nodes.reader()
    assert db.session.get(Interview, interview.id).transcript == TRANSCRIPT


def test_the_api_on_the_intake_node_answers_receipts(app, world, nodes):
    witness = make_witness(world.investigation, world.field_a, full_name=NAME)
    interview = make_interview(world.investigation, world.field_a, witness, transcript=TRANSCRIPT)
    nodes.intake()
    api = ApiClient(app.test_client(), issue_token(world.lawyer_identities))
    base = f"/investigations/{world.ref}"
    answer = api.get(f"{base}/witnesses/{witness.id}")
    assert answer.status_code == 200, answer.get_json()
    shown = answer.get_json()
    assert "identity" not in shown and shown["receipt"]["code"] == witness.code
    testimony = api.get(f"{base}/interviews/{interview.id}").get_json()
    assert "transcript" not in testimony
    assert {f["field"] for f in testimony["receipt"]["fields"] if f["recorded"]} >= {"transcript"}


def test_an_upload_on_the_intake_node_answers_a_receipt(world, nodes, client_for):
    nodes.intake()
    client = client_for(world.field_a)
    url = world.url("/evidence/upload")
    data = b"field note marker 9090\n" * 100
    answer = client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "files": [(io.BytesIO(data), "n.txt")]},
        content_type="multipart/form-data",
    )
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200
    import hashlib

    assert hashlib.sha256(data).hexdigest() in body
    assert f"Receipt: {len(data)} bytes" in body
    assert re.search(r"Custody entry \d+ \(no\. \d+\): received\.", body)
