"""The seizure drill (issue 17, item 7), on PostgreSQL: an intake node under its own role takes
a witness with an identity, a sealed testimony holding a marker sentence and a photo with GPS.
Whoever seizes that node takes its environment, its instance folder, its key folder, its blobs
and a dump of the whole database, and starts a full node from them without the organisation
identity: none of it can be read there, and the dump holds none of it in plaintext. The real
reading node, holding the identity, shows all of it. docs/security.md ("What a seized intake
node reveals") states what the drill proves; each sentence there is checked here."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import undefer_group

from app import create_app
from app.auth.models import User
from app.crypto.age import NoMatchingIdentity
from app.custody.signer_keys import CustodySigner
from app.drafts.models import Draft
from app.extensions import db
from app.intake.models import Incident, Interview, Witness
from app.intake.models.interviews import TESTIMONY_GROUP
from app.intake.models.witnesses import IDENTITY_GROUP
from app.openrosa.encrypted import UNOPENABLE
from app.openrosa.models import OpenRosaSubmission
from app.openrosa.sealed_models import SealedFile, SealedSubmission
from app.openrosa.sealed_opening import open_pending
from app.security import org_keys
from app.security.encrypted_type import EncryptedText, SealedText
from app.security.field_sealing import UNREADABLE_MESSAGE
from app.security.master_key import load_master_key
from app.vault.models import EvidenceItem
from app.vault.processing import process_new_evidence
from app.vault.storage import open_plaintext
from tests.conftest import IsolatedClient, backend, make_config
from tests.helpers.factories import MembershipFactory, UserFactory
from tests.helpers.media import jpeg_with_exif
from tests.helpers.web import csrf_token, post_form, sign_in
from tests.intake.helpers import incident_form, interview_form, witness_form
from tests.security.intake_node import as_role, schema_and_url
from tests.security.intake_phone import PHONE_PHOTO, send_encrypted_interview

pytestmark = pytest.mark.skipif(
    backend() != "postgresql", reason="the drill runs an intake node under a PostgreSQL role"
)

NAME = "Seizure Marker-4141 Witness"
CONTACT = "+90 555 0141 4141"
MARKER = "Seizure-drill marker 8080: the convoy turned left at the old mill."
PHOTO = jpeg_with_exif()  # GPS 36 12' 7.5" N, 37 8' 3.25" E
COORDINATES = ("36.2020833", "37.1342361")
# An incident's particulars: place, area, coordinates, alleged perpetrators (sealed).
INCIDENT_PLACE = "Seizure Place Marker-5151"
INCIDENT_AREA = "Seizure Area Marker-5154"
INCIDENT_COORDINATES = ("36.5151", "37.5151")
INCIDENT_PERPETRATORS = ("Seizure Unit Marker-5155", "Seizure Party Marker-5156")
INCIDENT_DESCRIPTION = "Seizure description marker 5152."
INCIDENT_SECRETS = (
    INCIDENT_PLACE,
    INCIDENT_AREA,
    *INCIDENT_COORDINATES,
    *INCIDENT_PERPETRATORS,
    INCIDENT_DESCRIPTION,
)
# A testimony a phone sent encrypted to the reading node's form key: kept sealed on the node.
PHONE_MARKER = "Seizure phone marker 9090: sent sealed from ODK Collect."
SECRETS = (
    NAME,
    CONTACT,
    MARKER,
    "Marker-4141",
    "marker 8080",
    *COORDINATES,
    *INCIDENT_SECRETS,
    PHONE_MARKER,
)
# Kept in the clear: an incident's day (lists, the map and the timeline sort and filter on
# it in SQL) and its weapon code; what the drill shows a seizure DOES reveal, with the values
# under the master key, which the intake node holds (docs/security.md, "What a seized intake
# node reveals").
INCIDENT_DAY = "2016-04-27"
INCIDENT_WEAPON = "guided_bomb"
DRAFT_TEXT = "Seizure draft marker 5153, typed on the reading node."
TOTP_SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


# Every column under the master key, all of which the seized node opens as it opens the draft
# and the second-factor seed: docs/security.md lists them; a new one must be added there.
MASTER_KEY_COLUMNS = {
    ("access_records", "reason_text"),
    ("casefile_annotations", "body"),
    ("casefile_assessments", "rationale"),
    ("casefile_corroborations", "note"),
    ("casefile_element_links", "note"),
    ("casefile_exports", "for_whom"),
    ("casefile_exports", "unencrypted_reason"),
    ("casefile_removed_items", "snapshot"),
    ("casefile_transitions", "comment"),
    ("casefiles", "legal_question"),
    ("drafts", "fields"),
    ("legal_holds", "reason"),
    ("retention_requests", "reason"),
    ("upload_sessions", "client_facts"),
    ("upload_sessions", "filename"),
    ("upload_sessions", "incident_link"),
    ("upload_sessions", "stream_state"),
    ("users", "totp_pending_secret"),
    ("users", "totp_secret"),
}


def master_key_columns() -> set[tuple[str, str]]:
    return {
        (table.name, column.name)
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedText) and not isinstance(column.type, SealedText)
    }


@dataclass
class Seized:
    """Everything taken from the intake node."""

    config: dict
    instance: Path
    keys: Path
    blobs: Path
    dump: Path


def _submit(node, investigation, field) -> dict[str, str]:
    """On the intake node: a witness with identity, a sealed testimony, a photo with GPS."""
    client = node.test_client()
    sign_in(client, field)
    base = f"/investigations/{investigation.reference}"
    incident = post_form(
        client,
        f"{base}/incidents/new",
        incident_form(
            start_date=INCIDENT_DAY,
            place_name=INCIDENT_PLACE,
            admin_area=INCIDENT_AREA,
            latitude=INCIDENT_COORDINATES[0],
            longitude=INCIDENT_COORDINATES[1],
            perpetrators="\n".join(INCIDENT_PERPETRATORS),
            weapon_code=INCIDENT_WEAPON,
            description=INCIDENT_DESCRIPTION,
        ),
        page=f"{base}/incidents/new",
    )
    assert incident.status_code == 302, incident.get_data(as_text=True)[:2000]
    form = witness_form(full_name=NAME, contact=CONTACT)
    witness = post_form(client, f"{base}/witnesses/new", form, page=f"{base}/witnesses/new")
    assert witness.status_code == 302, witness.get_data(as_text=True)[:2000]
    witness_id = witness.headers["Location"].rsplit("/", 1)[1]
    data = interview_form(witness_id, transcript=MARKER, save_and_seal="Save and seal")
    data.pop("save")
    data["interviewer_id"] = field.id
    interview = post_form(client, f"{base}/interviews/new", data, page=f"{base}/interviews/new")
    assert interview.status_code == 302, interview.get_data(as_text=True)[:2000]
    receipt = client.get(interview.headers["Location"])
    assert receipt.status_code == 200 and MARKER not in receipt.get_data(as_text=True)
    upload_url = f"{base}/evidence/upload"
    upload = client.post(
        upload_url,
        data={
            "csrf_token": csrf_token(client, upload_url),
            "files": [(io.BytesIO(PHOTO), "IMG_4141.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200, upload.get_data(as_text=True)[:2000]
    (item_id,) = db.session.scalars(
        sa.select(EvidenceItem.id).where(EvidenceItem.investigation_id == investigation.id)
    ).all()
    return {
        "witness": witness_id,
        "interview": interview.headers["Location"].rsplit("/", 1)[1],
        "evidence": item_id,
        "incident": incident.headers["Location"].rsplit("/", 1)[1],
    }


def _seize(app, node, destination: Path) -> Seized:
    """Copy what the node holds; dump the whole Custos database it writes to (its schema)."""
    schema, owner_url = schema_and_url(app)
    instance = shutil.copytree(node.instance_path, destination / "instance")
    keys = shutil.copytree(node.config["CUSTOS_KEYS_DIR"], destination / "keys")
    blobs = shutil.copytree(node.config["BLOB_DIR"], destination / "blobs")
    dump = destination / "custos.sql"
    subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [
            shutil.which("pg_dump") or "pg_dump",
            f"--host={owner_url.host}",
            f"--port={owner_url.port or 5432}",
            f"--username={owner_url.username}",
            f"--schema={schema}",
            "--no-owner",
            "--no-privileges",
            f"--file={dump}",
            owner_url.database,
        ],
        check=True,
        capture_output=True,
    )
    return Seized(dict(node.config), Path(instance), Path(keys), Path(blobs), dump)


@pytest.fixture
def restored_database(app):
    """A new database the seized dump is loaded into; its URL (same schema), dropped after."""
    schema, owner_url = schema_and_url(app)
    name = f"custos_seized_{uuid.uuid4().hex[:10]}"
    dsn = f"host={owner_url.host} port={owner_url.port or 5432} user={owner_url.username}"
    with psycopg.connect(f"{dsn} dbname={owner_url.database}", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    restored = owner_url.set(database=name)

    def load(dump: Path) -> str:
        subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [
                shutil.which("psql") or "psql",
                f"--host={owner_url.host}",
                f"--port={owner_url.port or 5432}",
                f"--username={owner_url.username}",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                f"--file={dump}",
                name,
            ],
            check=True,
            capture_output=True,
        )
        return restored.render_as_string(hide_password=False)

    yield load
    with psycopg.connect(f"{dsn} dbname={owner_url.database}", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert schema  # the run's own schema is left to the session


def _full_node_from(seized: Seized, database_url: str, keys: Path):
    """A full (reading) node started from the seized environment, intake-only mode off.

    A reading node refuses to start without an identity file, so the seizer makes one, as
    `flask keys init` would, under the seized master key: a key of their own, not the
    organisation's. The pin of the organisation recipient is dropped with it.
    """
    shutil.copytree(seized.keys, keys)
    for name in org_keys.PUBLIC_FILES:
        (keys / name).unlink()
    org_keys.init_keys(keys, load_master_key(None, seized.instance / "master.key"))
    node = create_app(
        make_config(
            database_url,
            seized.instance,
            CUSTOS_INTAKE_ONLY=False,
            CUSTOS_KEYS_DIR=keys,
            BLOB_DIR=seized.blobs,
            CUSTOS_JOB_BACKEND=seized.config["CUSTOS_JOB_BACKEND"],
        )
    )
    node.test_client_class = IsolatedClient
    return node


def _pages(node, investigation, reader, ids) -> tuple[list[str], list[dict]]:
    """What a cleared lawyer sees on a node: the identity revealed, the testimony, the photo,
    the incident's page and the incident list; and the map's markers."""
    client = node.test_client()
    sign_in(client, reader)
    base = f"/investigations/{investigation.reference}"
    reveal = f"{base}/witnesses/{ids['witness']}/identity"
    shown = [post_form(client, reveal, {"access_reason": "case_review"}, page=reveal)]
    shown.append(client.get(f"{base}/interviews/{ids['interview']}"))
    shown.append(client.get(f"{base}/evidence/{ids['evidence']}"))
    shown.append(client.get(f"{base}/incidents/{ids['incident']}"))
    shown.append(client.get(f"{base}/incidents"))
    markers = client.get(f"{base}/incidents/map.json")
    for page in (*shown, markers):
        assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    return [page.get_data(as_text=True) for page in shown], markers.get_json()["markers"]


def _photo_bytes(item_id: str) -> bytes:
    item = db.session.get(EvidenceItem, item_id)
    reader = open_plaintext(item.blob_key)
    try:
        return b"".join(reader.iter_all())
    finally:
        close = getattr(reader.source, "close", None)
        if close is not None:
            close()


def test_every_column_under_the_master_key_is_one_the_drill_and_the_docs_name(app):
    """What a seized node opens with the master key it holds: a new such column fails here
    first (then add it to docs/security.md, "What a seized intake node reveals")."""
    assert master_key_columns() == MASTER_KEY_COLUMNS


def test_a_seized_intake_node_yields_nothing_readable_and_the_reading_node_everything(
    app, app_ctx, intake_role, intake_node, field_world, restored_database, tmp_path
):
    investigation, field = field_world
    lawyer = UserFactory(role="lawyer", name="Lawyer Cleared")
    MembershipFactory(user=lawyer, investigation=investigation, may_see_identities=True)
    # On the reading node: a draft the lawyer is typing and the lawyer's second factor, both
    # encrypted under the master key (EncryptedText), in the same database.
    lawyer.totp_secret = TOTP_SEED
    draft = Draft(user_id=lawyer.id, form_key="casefiles.note?x=1", fields=DRAFT_TEXT)
    db.session.add(draft)
    db.session.commit()
    ids = _submit(intake_node, investigation, field)
    phone_instance = send_encrypted_interview(
        app, intake_node, investigation, field, PHONE_MARKER, ids["incident"], ids["witness"]
    )

    # The intake role: the database itself refuses it the testimony and any ledger change.
    _, role_url = intake_role
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_role(role_url, "SELECT transcript FROM interviews")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_role(role_url, "UPDATE custody_entries SET action = 'forged'")

    seized = _seize(app, intake_node, tmp_path / "seized")
    assert not (seized.keys / org_keys.IDENTITIES_FILE).exists()
    dump = seized.dump.read_bytes()
    assert b"CREATE TABLE" in dump and ids["interview"].encode() in dump  # a real, whole dump
    for secret in (*SECRETS, DRAFT_TEXT, TOTP_SEED):
        assert secret.encode() not in dump, secret
    # Written in the clear: an incident's day and weapon code; witness codes; staff accounts;
    # file hashes; the testimony's hash.
    witness_code = db.session.get(Witness, ids["witness"]).code
    content_hash = db.session.get(Interview, ids["interview"]).content_hash
    clear = (
        f"{INCIDENT_DAY} 00:00:00",
        INCIDENT_WEAPON,
        "medical_facility",  # its target code
        witness_code,
        field.email,
        hashlib.sha256(PHOTO).hexdigest(),
        content_hash,
        phone_instance,  # a sealed submission's manifest, file names and ciphertext hashes
        "1733460000777.jpg.enc",
        *db.session.scalars(sa.select(SealedFile.sha256)),
    )
    for value in clear:
        assert value.encode() in dump, value
    sizes = db.session.get(Interview, ids["interview"]).sealed_sizes
    assert f'"transcript": {sizes["transcript"]}'.encode() in dump
    particulars = db.session.get(Incident, ids["incident"]).sealed_sizes["particulars"]
    assert f'"particulars": {particulars}'.encode() in dump
    # The node's own checkpoint key opens with the master key in the seized instance folder.
    node_key = org_keys._load_signing_key(
        seized.keys,
        [load_master_key(None, seized.instance / "master.key")],
        org_keys.NODE_SIGNING_KEY_FILE,
    )
    assert node_key.key_id_hex() == db.session.scalars(sa.select(CustodySigner.key_id)).one()
    photo_middle = PHOTO[len(PHOTO) // 2 : len(PHOTO) // 2 + 64]
    phone_middle = PHONE_PHOTO[len(PHONE_PHOTO) // 2 : len(PHONE_PHOTO) // 2 + 64]
    for blob in seized.blobs.rglob("*"):
        if blob.is_file():
            held = blob.read_bytes()
            assert photo_middle not in held and phone_middle not in held, blob
            for secret in (MARKER, *INCIDENT_SECRETS):
                assert secret.encode() not in held, (blob, secret)

    # A full node started from what was seized, without the organisation identity.
    seized_node = _full_node_from(seized, restored_database(seized.dump), tmp_path / "seizer-keys")
    try:
        with seized_node.app_context():
            witness = db.session.get(
                Witness, ids["witness"], options=[undefer_group(IDENTITY_GROUP)]
            )
            interview = db.session.get(
                Interview, ids["interview"], options=[undefer_group(TESTIMONY_GROUP)]
            )
            item = db.session.get(EvidenceItem, ids["evidence"])
            assert witness.full_name == witness.contact == UNREADABLE_MESSAGE
            assert interview.transcript == UNREADABLE_MESSAGE
            assert item.original_filename == UNREADABLE_MESSAGE
            assert item.extracted_metadata is None  # extracted on the reading node only
            with pytest.raises(NoMatchingIdentity):
                _photo_bytes(ids["evidence"])
            incident = db.session.get(Incident, ids["incident"])
            assert incident.description == UNREADABLE_MESSAGE
            assert incident.place_name == UNREADABLE_MESSAGE
            assert incident.perpetrators == (UNREADABLE_MESSAGE,)
            assert incident.admin_area == "" and incident.latitude is incident.longitude is None
            assert f"{incident.occurred_from:%Y-%m-%d}" == INCIDENT_DAY  # kept in the clear
            # What the master key the node holds opens: every EncryptedText value.
            assert db.session.get(Draft, draft.id).fields == DRAFT_TEXT
            assert db.session.get(User, lawyer.id).totp_secret == TOTP_SEED
            # The phone's submission, kept sealed: its own form key opens nothing of it.
            open_pending()
            (kept,) = db.session.scalars(sa.select(SealedSubmission)).all()
            assert (kept.status, kept.refused_reason) == ("refused", UNOPENABLE)
            db.session.remove()
        pages, markers = _pages(seized_node, investigation, lawyer, ids)
        for page in pages:
            assert UNREADABLE_MESSAGE in page
            for secret in SECRETS:
                assert secret not in page, secret
        assert markers == []  # no coordinates it can read to put on the map
    finally:
        with seized_node.app_context():
            db.session.remove()
            db.engine.dispose()

    # The real reading node, with the identity: all of it. It processes what the intake node
    # could not (metadata is extracted on the reading side), then shows the photo's GPS.
    db.session.expire_all()
    assert _photo_bytes(ids["evidence"]) == PHOTO
    assert open_pending().refused == []
    (submission,) = db.session.scalars(sa.select(OpenRosaSubmission)).all()
    assert db.session.get(Interview, submission.interview_id).transcript == PHONE_MARKER
    process_new_evidence(ids["evidence"])
    extracted = json.loads(db.session.get(EvidenceItem, ids["evidence"]).extracted_metadata)
    gps = extracted["fields"]["gps"]
    assert (f"{gps['latitude']:.7f}", f"{gps['longitude']:.7f}") == COORDINATES
    pages, markers = _pages(app, investigation, lawyer, ids)
    shown = "\n".join(pages)
    assert NAME in shown and CONTACT in shown and MARKER in shown
    assert COORDINATES[0] in shown and COORDINATES[1] in shown
    for secret in INCIDENT_SECRETS:
        assert secret in shown, secret
    (marker,) = markers
    assert (str(marker["lat"]), str(marker["lon"])) == INCIDENT_COORDINATES
    assert marker["place_name"] == INCIDENT_PLACE
