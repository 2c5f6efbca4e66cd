"""Uploads tied to an incident as they are stored: the web form (plain multipart and tus), the
page started from an incident, and an incident that may not be chosen (nothing stored)."""

from __future__ import annotations

import base64
import io
import json

import pytest
from sqlalchemy import func, select

from app.custody.models import LedgerEntry
from app.extensions import db
from app.vault.incident_links import IncidentEvidence
from app.vault.models import EvidenceItem, UploadSession
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.web import csrf_token
from tests.intake.builders import make_incident
from tests.vault.vault_support import isolated_vault, stored_files, text_bytes


@pytest.fixture
def vault(app, tmp_path, monkeypatch):
    with isolated_vault(app, tmp_path, monkeypatch) as keys:
        yield keys.parent / "blobs"


class World:
    def __init__(self):
        self.investigation = InvestigationFactory()
        self.field = UserFactory(role="field")
        MembershipFactory(user=self.field, investigation=self.investigation)
        self.incident = make_incident(self.investigation, self.field)
        self.url = f"/investigations/{self.investigation.reference}/evidence/upload"


@pytest.fixture
def world(app_ctx, vault):
    return World()


@pytest.fixture
def client(signed_in, world):
    return signed_in(world.field)


def upload(client, url, files, **fields):
    data = {"csrf_token": csrf_token(client, url), **fields}
    data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(url, data=data, content_type="multipart/form-data")


def rows(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def link_entries() -> list[dict]:
    db.session.expire_all()
    stmt = (
        select(LedgerEntry)
        .where(LedgerEntry.action == "linked_to_incident")
        .order_by(LedgerEntry.id)
    )
    return [json.loads(entry.body) for entry in db.session.scalars(stmt)]


def test_the_upload_form_links_every_file_to_the_chosen_incident(world, client):
    files = [("a.txt", text_bytes(300)), ("b.txt", text_bytes(400))]
    answer = upload(client, world.url, files, incident_id=world.incident.id, shows="aftermath")
    assert answer.status_code == 303
    links = db.session.scalars(select(IncidentEvidence)).all()
    assert {(link.incident_id, link.shows) for link in links} == {(world.incident.id, "aftermath")}
    assert len(links) == 2
    assert {e["object"]["id"] for e in link_entries()} == {link.evidence_id for link in links}


def test_without_an_incident_nothing_is_linked(world, client):
    assert upload(client, world.url, [("a.txt", text_bytes(300))]).status_code == 303
    assert rows(EvidenceItem) == 1
    assert rows(IncidentEvidence) == 0


def test_the_page_started_from_an_incident_has_it_chosen(world, client):
    page = client.get(f"{world.url}?incident={world.incident.id}").get_data(as_text=True)
    assert f'<option value="{world.incident.id}" selected>' in page


def test_the_incident_page_offers_the_upload_for_it(world, client):
    ref = world.investigation.reference
    page = client.get(f"/investigations/{ref}/incidents/{world.incident.id}")
    assert f"/evidence/upload?incident={world.incident.id}" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"incident_id": "00000000-0000-4000-8000-000000000000"}, "Choose incidents of this"),
        ({"shows": "rubble"}, "Say what the file shows"),
        ({"shows": ""}, "Say what the file shows"),
        ({"shows": "other"}, "Say in the note what the file shows"),
    ],
)
def test_a_link_that_may_not_be_made_stores_no_file(world, client, vault, fields, message):
    values = {"incident_id": world.incident.id, "shows": "attack", **fields}
    answer = upload(client, world.url, [("a.txt", text_bytes(300))], **values)
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    assert rows(EvidenceItem) == 0
    assert rows(IncidentEvidence) == 0
    assert stored_files(vault) == []


def test_another_investigations_incident_stores_no_file(world, client, vault):
    other = InvestigationFactory()
    MembershipFactory(user=world.field, investigation=other)
    foreign = make_incident(other, world.field)
    answer = upload(client, world.url, [("a.txt", text_bytes(300))], incident_id=foreign.id,
                    shows="attack")  # fmt: skip
    assert answer.status_code == 400
    assert rows(EvidenceItem) == 0
    assert stored_files(vault) == []


# --- tus (the browser's resumable uploader) -----------------------------------------------------


def tus_create(client, world, link: dict, length: int):
    token = csrf_token(client, "/investigations/")
    metadata = ",".join(
        f"{name} {base64.b64encode(value.encode()).decode()}"
        for name, value in (("filename", "clip.txt"), ("incident", json.dumps(link)))
    )
    return client.post(
        f"/investigations/{world.investigation.reference}/uploads",
        headers={
            "Tus-Resumable": "1.0.0",
            "X-CSRFToken": token,
            "Upload-Length": str(length),
            "Upload-Metadata": metadata,
        },
    ), token


def test_a_resumable_upload_is_linked_when_it_completes(world, client):
    data = text_bytes(500)
    link = {"incident_id": world.incident.id, "shows": "victims", "incident_note": ""}
    created, token = tus_create(client, world, link, len(data))
    assert created.status_code == 201
    assert rows(IncidentEvidence) == 0  # nothing to link until the file is whole
    done = client.patch(
        created.headers["Location"],
        data=data,
        headers={
            "Tus-Resumable": "1.0.0",
            "X-CSRFToken": token,
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        },
    )
    assert done.status_code == 204
    (row,) = db.session.scalars(select(IncidentEvidence)).all()
    assert (row.incident_id, row.shows) == (world.incident.id, "victims")
    assert len(link_entries()) == 1


def test_a_resumable_upload_with_a_bad_incident_is_refused_at_creation(world, client):
    created, _ = tus_create(client, world, {"incident_id": world.incident.id, "shows": "x"}, 10)
    assert created.status_code == 400
    assert created.get_json()["error"]["code"] == "bad_incident_link"
    assert rows(UploadSession) == 0
