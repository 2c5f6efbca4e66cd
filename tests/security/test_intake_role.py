"""An intake node under its own PostgreSQL role (app/security/intake_role.py): intake works
through the real routes, and the database itself refuses to show what was written or to
change the custody ledger."""

from __future__ import annotations

import hashlib
import io
import uuid

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.custody.models import LedgerEntry
from app.custody.signer_keys import CustodySigner
from app.custody.verify import verify_ledgers
from app.extensions import db
from app.intake.models.incidents import Incident
from app.intake.models.interviews import Interview
from app.intake.models.witnesses import Witness
from app.vault.models import EvidenceItem
from tests.api.helpers import ApiClient, interview_body, issue_token, witness_body
from tests.conftest import backend
from tests.helpers.web import csrf_token, post_form, sign_in
from tests.intake.helpers import incident_form, interview_form, witness_form
from tests.security.intake_node import as_role, schema_and_url
from tests.vault.vault_support import (
    text_bytes,
)

pytestmark = pytest.mark.skipif(
    backend() != "postgresql", reason="database roles are a PostgreSQL feature"
)

MARKER = "The marker sentence of the intake-role drill."


def _submit_everything(node, investigation, field) -> dict[str, str]:
    """Sign in on the intake node and submit a witness, an interview and a file."""
    client = node.test_client()
    sign_in(client, field)
    base = f"/investigations/{investigation.reference}"
    witness = post_form(
        client, f"{base}/witnesses/new", witness_form(), page=f"{base}/witnesses/new"
    )
    assert witness.status_code == 302, witness.get_data(as_text=True)[:2000]
    witness_id = witness.headers["Location"].rsplit("/", 1)[1]
    data = interview_form(witness_id, transcript=MARKER)
    data["interviewer_id"] = field.id
    interview = post_form(client, f"{base}/interviews/new", data, page=f"{base}/interviews/new")
    assert interview.status_code == 302, interview.get_data(as_text=True)[:2000]
    upload_url = f"{base}/evidence/upload"
    upload = client.post(
        upload_url,
        data={
            "csrf_token": csrf_token(client, upload_url),
            "files": [(io.BytesIO(text_bytes(20_000)), "statement.txt")],
        },
        content_type="multipart/form-data",
    )
    # An intake node answers an upload with its receipt (size, SHA-256, custody entry).
    assert upload.status_code == 200, upload.get_data(as_text=True)[:2000]
    assert hashlib.sha256(text_bytes(20_000)).hexdigest() in upload.get_data(as_text=True)
    return {"witness": witness_id, "interview": interview.headers["Location"].rsplit("/", 1)[1]}


def test_the_receipt_pages_shown_after_saving_work_under_the_role(
    app_ctx, intake_node, field_world
):
    """The pages a field worker lands on after saving are built from columns the role may
    read: they answer 200 with the sizes stored, and never the words."""
    investigation, field = field_world
    client = intake_node.test_client()
    sign_in(client, field)
    base = f"/investigations/{investigation.reference}"
    saved = post_form(client, f"{base}/witnesses/new", witness_form(), page=f"{base}/witnesses/new")
    page = client.get(saved.headers["Location"])
    body = page.get_data(as_text=True)
    assert page.status_code == 200, body[:2000]
    stored = db.session.get(Witness, saved.headers["Location"].rsplit("/", 1)[1]).sealed_sizes
    assert stored["full_name"] > 0
    assert f"sealed, {stored['full_name']} bytes stored" in body
    data = interview_form(saved.headers["Location"].rsplit("/", 1)[1], transcript=MARKER)
    data["interviewer_id"] = field.id
    saved = post_form(client, f"{base}/interviews/new", data, page=f"{base}/interviews/new")
    page = client.get(saved.headers["Location"])
    body = page.get_data(as_text=True)
    assert page.status_code == 200, body[:2000]
    interview = db.session.get(Interview, saved.headers["Location"].rsplit("/", 1)[1])
    assert f"sealed, {interview.sealed_sizes['transcript']} bytes stored" in body
    assert "Receipt" in body and MARKER not in body


def test_the_incident_receipt_shown_after_saving_works_under_the_role(
    app_ctx, intake_node, field_world
):
    investigation, field = field_world
    client = intake_node.test_client()
    sign_in(client, field)
    base = f"/investigations/{investigation.reference}"
    form = incident_form(description="Receipt marker 6161 description.")
    saved = post_form(client, f"{base}/incidents/new", form, page=f"{base}/incidents/new")
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    page = client.get(saved.headers["Location"])
    body = page.get_data(as_text=True)
    assert page.status_code == 200, body[:2000]
    incident = db.session.get(Incident, saved.headers["Location"].rsplit("/", 1)[1])
    assert f"sealed, {incident.sealed_sizes['description']} bytes stored" in body
    assert "marker 6161" not in body and form["place_name"] not in body


def test_the_lists_answer_receipts_under_the_role(app_ctx, intake_node, field_world):
    """The incident, witness and interview lists of an intake node are read from key columns
    only: under its role they answer 200 with one receipt per row, never a name or a place."""
    investigation, field = field_world
    ids = _submit_everything(intake_node, investigation, field)
    client = intake_node.test_client()
    sign_in(client, field)
    base = f"/investigations/{investigation.reference}"
    form = incident_form(place_name="List Place Marker-7171", perpetrators="Unit Marker-7272")
    saved = post_form(client, f"{base}/incidents/new", form, page=f"{base}/incidents/new")
    incident_id = saved.headers["Location"].rsplit("/", 1)[1]
    witness = db.session.get(Witness, ids["witness"])
    interview = db.session.get(Interview, ids["interview"])
    incident = db.session.get(Incident, incident_id)
    expected = {
        "/incidents": (incident_id, incident.sealed_sizes["particulars"]),
        "/witnesses": (witness.code, witness.sealed_sizes["full_name"]),
        "/interviews": (interview.id, interview.sealed_sizes["transcript"]),
    }
    for path, (shown, size) in expected.items():
        page = client.get(f"{base}{path}")
        body = page.get_data(as_text=True)
        assert page.status_code == 200, (path, body[:2000])
        assert shown in body and f"sealed, {size} bytes stored" in body, path
        for secret in ("Marker-7171", "Marker-7272", "Amal Example", MARKER):
            assert secret not in body, (path, secret)
    incidents = client.get(f"{base}/incidents").get_data(as_text=True)
    assert "sealed to a key this node does not hold" in incidents


def test_the_map_and_timeline_list_receipts_under_the_role(app_ctx, intake_node, field_world):
    investigation, field = field_world
    client = intake_node.test_client()
    sign_in(client, field)
    base = f"/investigations/{investigation.reference}"
    form = incident_form(place_name="Map Place Marker-7373")
    post_form(client, f"{base}/incidents/new", form, page=f"{base}/incidents/new")
    for path in ("/incidents/map", "/incidents/timeline"):
        page = client.get(f"{base}{path}")
        body = page.get_data(as_text=True)
        assert page.status_code == 200, (path, body[:2000])
        assert "shown on the reading node" in body and "Marker-7373" not in body
    markers = client.get(f"{base}/incidents/map.json")
    assert markers.status_code == 200 and markers.get_json() == {"markers": []}


def test_the_api_answers_receipts_under_the_role(app_ctx, intake_node, field_world):
    investigation, field = field_world
    api = ApiClient(intake_node.test_client(), issue_token(field))
    base = f"/investigations/{investigation.reference}"
    witness = api.post(f"{base}/witnesses", json=witness_body())
    assert witness.status_code == 201, witness.get_json()
    body = interview_body(witness.get_json()["id"], transcript=MARKER)
    created = api.post(f"{base}/interviews", json=body)
    assert created.status_code == 201, created.get_json()
    shown = api.get(f"{base}/interviews/{created.get_json()['id']}")
    assert shown.status_code == 200, shown.get_json()
    fields = {f["field"]: f for f in shown.get_json()["receipt"]["fields"]}
    assert fields["transcript"]["recorded"] and MARKER not in shown.get_data(as_text=True)


def test_the_api_lists_answer_receipts_under_the_role(app_ctx, intake_node, field_world):
    """The API's incident, witness and interview lists on an intake node are receipts read from
    key columns (as the web lists are): 200 under the role, never a name, place or transcript."""
    investigation, field = field_world
    ids = _submit_everything(intake_node, investigation, field)
    client = intake_node.test_client()
    sign_in(client, field)
    base = f"/investigations/{investigation.reference}"
    form = incident_form(place_name="Api Place Marker-7474", perpetrators="Unit Marker-7575")
    post_form(client, f"{base}/incidents/new", form, page=f"{base}/incidents/new")
    api = ApiClient(intake_node.test_client(), issue_token(field))
    witness = db.session.get(Witness, ids["witness"])
    for path, shown in (("/incidents", None), ("/witnesses", witness.code), ("/interviews", None)):
        listed = api.get(f"{base}{path}")
        assert listed.status_code == 200, (path, listed.get_data(as_text=True)[:2000])
        body = listed.get_json()
        assert body["total"] >= 1 and body["items"], path
        assert all(item["receipt"]["fields"] for item in body["items"]), path
        if shown:
            assert shown in [item["label"] for item in body["items"]], path
        text = listed.get_data(as_text=True)
        for secret in ("Marker-7474", "Marker-7575", "Amal Example", MARKER):
            assert secret not in text, (path, secret)
    interviews = api.get(f"{base}/interviews").get_json()["items"]
    assert ids["interview"] in [item["id"] for item in interviews]


def test_an_intake_node_under_its_role_takes_a_witness_an_interview_and_a_file(
    app_ctx, intake_node, field_world
):
    investigation, field = field_world
    ids = _submit_everything(intake_node, investigation, field)
    db.session.expire_all()
    assert db.session.get(Witness, ids["witness"]).investigation_id == investigation.id
    assert db.session.get(Interview, ids["interview"]).transcript == MARKER
    item = db.session.scalars(
        select(EvidenceItem).where(EvidenceItem.investigation_id == investigation.id)
    ).one()
    assert item.size == 20_000
    actions = db.session.scalars(
        select(LedgerEntry.action).where(LedgerEntry.investigation_id == investigation.id)
    ).all()
    assert {"consent_recorded", "received"} <= set(actions)
    # Signed at intake, by the node's own listed key: nothing it wrote is left unsigned.
    (verdict,) = verify_ledgers(investigation.reference)
    assert verdict.ok, verdict.problem
    assert verdict.signed_seq == verdict.entries
    assert verdict.signed_key == db.session.scalars(select(CustodySigner.key_id)).one()


def test_the_database_refuses_the_intake_role_a_transcript(
    app_ctx, intake_role, intake_node, field_world
):
    investigation, field = field_world
    _submit_everything(intake_node, investigation, field)
    _, role_url = intake_role
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_role(role_url, "SELECT transcript FROM interviews")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_role(role_url, "SELECT full_name, contact FROM witnesses")
    assert as_role(role_url, "SELECT count(*) FROM interviews WHERE status = 'draft'") == [(1,)]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE custody_entries SET action = 'forged'",
        "DELETE FROM custody_entries",
        "DELETE FROM custody_entry_origins",
        "DELETE FROM custody_tree_nodes",
        "UPDATE custody_entry_origins SET digest = digest",
        "DELETE FROM audit_events",
        "UPDATE interviews SET status = 'sealed'",
        "DELETE FROM witnesses",
    ],
)
def test_the_database_refuses_the_intake_role_changes_to_the_ledger_and_content(
    app_ctx, intake_role, intake_node, field_world, sql
):
    investigation, field = field_world
    _submit_everything(intake_node, investigation, field)
    _, role_url = intake_role
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_role(role_url, sql)
    db.session.expire_all()
    assert db.session.scalar(select(sa.func.count()).select_from(LedgerEntry)) >= 2


def test_create_makes_a_login_role_with_the_password_typed(app, tmp_path):
    schema, owner_url = schema_and_url(app)
    role = f"custos_intake_{uuid.uuid4().hex[:10]}"
    result = app.test_cli_runner().invoke(
        args=["db", "intake-role", "--name", role, "--schema", schema, "--create", "--apply"],
        input="it's-a-long-secret\nit's-a-long-secret\n",
    )
    try:
        assert result.exit_code == 0, result.output
        assert "it's-a-long-secret" not in result.output
        with app.app_context(), db.engine.begin() as connection:
            can_login = connection.execute(
                sa.text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :r"), {"r": role}
            ).scalar_one()
        assert can_login is True
        assert as_role(owner_url.set(username=role).render_as_string(), "SELECT 1") == [(1,)]
    finally:
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(sa.text(f'DROP OWNED BY "{role}"'))
            connection.execute(sa.text(f'DROP ROLE "{role}"'))


def test_a_phone_submits_to_an_intake_node_under_its_role(app_ctx, intake_node, field_world):
    """OpenRosa is how field phones reach an intake node: form list, interview, photo."""
    from app.openrosa.devices import issue_device
    from app.openrosa.models import OpenRosaSubmission
    from tests.helpers.media import jpeg_with_exif
    from tests.intake.builders import make_incident, make_witness
    from tests.openrosa.phone import Phone, new_instance_id, submission_xml

    investigation, field = field_world
    incident = make_incident(investigation, field)
    witness = make_witness(investigation, field, full_name="Rania Haddad")
    issued = issue_device(field, investigation.id, "Phone", None)
    db.session.commit()
    phone = Phone(
        intake_node.test_client(),
        investigation.reference,
        issued.device.username,
        issued.password,
    )
    listed = {form["formID"] for form in phone.forms()}
    assert {"custos_incident", "custos_interview", "custos_witness"} <= listed
    photo = jpeg_with_exif()
    xml = submission_xml(
        instance_id=new_instance_id(),
        incident=incident.id,
        witness=witness.id,
        photos=["1733460000001.jpg"],
        transcript=MARKER,
    )
    sent = phone.submit(xml, [("1733460000001.jpg", photo, "image/jpeg")])
    assert sent.status_code == 201, sent.data[:2000]
    resent = phone.submit(xml, [("1733460000001.jpg", photo, "image/jpeg")])
    assert (resent.status_code, resent.data) == (201, sent.data)

    db.session.expire_all()
    (item,) = db.session.scalars(
        select(EvidenceItem).where(EvidenceItem.investigation_id == investigation.id)
    ).all()
    assert item.sha256 == hashlib.sha256(photo).hexdigest()
    (submission,) = db.session.scalars(select(OpenRosaSubmission)).all()
    assert db.session.get(Interview, submission.interview_id).transcript == MARKER


def test_an_encrypted_phone_submission_is_kept_sealed_under_the_role_and_opened_by_the_reader(
    app, app_ctx, intake_role, intake_node, field_world
):
    """The intake node publishes the reading node's form key, keeps what comes back sealed
    under its role, and only the reading node turns it into the interview draft."""
    from app.openrosa.models import OpenRosaSubmission
    from app.openrosa.sealed_models import SealedSubmission
    from tests.security.intake_phone import PHONE_PHOTO, send_encrypted_interview

    investigation, field = field_world
    instance_id = send_encrypted_interview(app, intake_node, investigation, field, MARKER)
    db.session.expire_all()
    (kept,) = db.session.scalars(select(SealedSubmission)).all()
    assert (kept.instance_id, kept.status) == (instance_id, "pending")
    assert db.session.scalars(select(OpenRosaSubmission)).all() == []
    # The role reads back the manifests (to answer a resend), never the files' rows.
    _, role_url = intake_role
    assert as_role(role_url, "SELECT instance_id FROM openrosa_sealed_submissions") == [
        (instance_id,)
    ]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_role(role_url, "SELECT blob_key FROM openrosa_sealed_files")

    result = app.test_cli_runner().invoke(args=["openrosa", "open-sealed"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    (submission,) = db.session.scalars(select(OpenRosaSubmission)).all()
    interview = db.session.get(Interview, submission.interview_id)
    assert (interview.transcript, interview.status) == (MARKER, "draft")
    (item,) = db.session.scalars(
        select(EvidenceItem).where(EvidenceItem.investigation_id == investigation.id)
    ).all()
    assert item.sha256 == hashlib.sha256(PHONE_PHOTO).hexdigest()
