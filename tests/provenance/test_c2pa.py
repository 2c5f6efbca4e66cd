"""C2PA checks of real items: files signed at run time with the SDK's Builder get their
verdict in processing, kept sealed with the signer, claims, SDK version and trust list; a
re-check is a new entry and the intake-time record stays."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select, text

from app.custody.models import LedgerEntry
from app.extensions import db
from app.provenance.models import ProvenanceCheck
from app.vault.processing import process_new_evidence
from app.vault.storage import open_plaintext
from tests.duplicates.support import Team, add_item, jpeg, scene
from tests.helpers.web import csrf_token, sign_in
from tests.provenance.c2pa_vectors import (
    EXIF_CLAIMS,
    MANIFEST,
    flip_image_byte,
    make_authority,
    signed_jpeg,
)


@pytest.fixture(scope="module")
def authority():
    return make_authority()


@pytest.fixture(scope="module")
def stranger():
    return make_authority("Unknown Root")


@pytest.fixture(scope="module")
def signed(authority):
    return signed_jpeg(authority)


@pytest.fixture
def trust_list(app, tmp_path, authority, monkeypatch):
    """The organisation trusts `authority`'s root."""
    path = tmp_path / "anchors.pem"
    path.write_text(authority.root_pem)
    monkeypatch.setitem(app.config, "CUSTOS_C2PA_TRUST_ANCHORS", str(path))
    return path


@pytest.fixture
def team(app_ctx):
    return Team()


def checks_of(item) -> list[ProvenanceCheck]:
    stmt = select(ProvenanceCheck).where(ProvenanceCheck.evidence_id == item.id)
    return list(db.session.scalars(stmt.order_by(ProvenanceCheck.checked_at)))


def entries(item) -> list[LedgerEntry]:
    stmt = select(LedgerEntry).where(
        LedgerEntry.action == "provenance_checked", LedgerEntry.object_id == item.id
    )
    return list(db.session.scalars(stmt.order_by(LedgerEntry.seq)))


def only_result(item) -> dict:
    (check,) = checks_of(item)
    return json.loads(check.result)


def failure_codes(result: dict) -> set[str]:
    return {c["code"] for c in result["codes"] if c["kind"] == "failure"}


def test_a_file_signed_by_a_trusted_signer_is_trusted(team, trust_list, signed):
    item = add_item(team.investigation, team.lawyer, signed)
    result = only_result(item)
    assert result["verdict"] == "trusted" and failure_codes(result) == set()


def test_a_signer_not_on_the_trust_list_is_valid_but_untrusted(team, trust_list, stranger):
    item = add_item(team.investigation, team.lawyer, signed_jpeg(stranger))
    result = only_result(item)
    assert result["verdict"] == "valid_untrusted"
    assert failure_codes(result) == {"signingCredential.untrusted"}


def test_without_a_trust_list_every_signer_is_untrusted(team, signed):
    item = add_item(team.investigation, team.lawyer, signed)
    result = only_result(item)
    assert result["verdict"] == "valid_untrusted" and result["trust_list_sha256"] is None


def test_one_byte_flipped_is_invalid_with_the_sdk_code(team, trust_list, signed):
    item = add_item(team.investigation, team.lawyer, flip_image_byte(signed))
    result = only_result(item)
    assert result["verdict"] == "invalid"
    assert "assertion.dataHash.mismatch" in failure_codes(result)


def test_a_plain_photo_has_no_manifest(team, trust_list):
    item = add_item(team.investigation, team.lawyer, jpeg(scene(5)))
    assert only_result(item)["verdict"] == "none"


def test_a_malformed_file_could_not_be_checked_and_is_kept_intact(team, trust_list, signed):
    broken = signed[:3000]
    item = add_item(team.investigation, team.lawyer, broken)
    result = only_result(item)
    assert result["verdict"] == "could_not_check" and result["reason"]
    assert open_plaintext(item.blob_key).as_file().read() == broken


def test_an_unreadable_trust_list_could_not_be_checked(team, app, tmp_path, monkeypatch, signed):
    monkeypatch.setitem(app.config, "CUSTOS_C2PA_TRUST_ANCHORS", str(tmp_path / "missing.pem"))
    item = add_item(team.investigation, team.lawyer, signed)
    result = only_result(item)
    assert result["verdict"] == "could_not_check" and "missing.pem" in result["reason"]


def test_the_result_keeps_signer_claims_sdk_and_trust_list(team, trust_list, authority, signed):
    import c2pa

    item = add_item(team.investigation, team.lawyer, signed)
    result = only_result(item)
    assert result["signer"]["subject"] == "Test Root Signer"
    assert result["signer"]["issuer"] == "Custos Test Camera Co"
    assert int(result["signer"]["serial"]) == authority.leaf_serial
    assert result["claimed"]["capture_time"] == "2016-04-27T10:15:00Z"
    assert result["sdk"] == {"c2pa-python": "0.38.1", "c2pa-rs": c2pa.sdk_version()}
    expected = hashlib.sha256(trust_list.read_bytes()).hexdigest()
    assert result["trust_list_sha256"] == expected
    assert result["manifest"]["active_manifest"] in result["manifest"]["manifests"]


def test_the_result_keeps_the_claimed_place_and_the_ingredients(team, trust_list, authority):
    manifest = {**MANIFEST, "assertions": [*MANIFEST["assertions"], EXIF_CLAIMS]}
    parent = signed_jpeg(authority, seed=9)
    item = add_item(team.investigation, team.lawyer, signed_jpeg(authority, 3, manifest, parent))
    result = only_result(item)
    assert result["verdict"] == "trusted"
    assert result["claimed"]["place"] == ["36,12.125N", "37,8.058E"]
    (ingredient,) = result["ingredients"]
    assert (ingredient["title"], ingredient["relationship"]) == ("parent.jpg", "parentOf")


def test_a_trust_list_without_a_certificate_could_not_be_checked(team, trust_list, signed):
    trust_list.write_text("not a certificate\n")
    item = add_item(team.investigation, team.lawyer, signed)
    result = only_result(item)
    assert result["verdict"] == "could_not_check" and "anchors.pem" in result["reason"]


def test_processing_again_adds_no_check(team, trust_list, signed):
    item = add_item(team.investigation, team.lawyer, signed)
    process_new_evidence(item.id)
    assert len(checks_of(item)) == 1 and len(entries(item)) == 1


def test_the_ledger_entry_carries_the_verdict_and_the_results_digest(team, trust_list, signed):
    item = add_item(team.investigation, team.lawyer, signed)
    (check,) = checks_of(item)
    (entry,) = entries(item)
    assert hashlib.sha256(check.result.encode()).hexdigest() == check.result_sha256
    body = json.loads(entry.body)
    assert body["details"]["result_sha256"] == check.result_sha256
    assert body["details"]["verdict"] == "trusted"
    assert b"Test Root Signer" not in entry.body


def test_documents_are_not_checked(team, trust_list):
    item = add_item(team.investigation, team.lawyer, b"%PDF-1.4\n%%EOF\n", filename="a.pdf")
    assert checks_of(item) == [] and entries(item) == []


def test_a_recheck_with_a_new_trust_list_is_a_new_entry_and_the_first_stays(
    client, team, trust_list, stranger, signed
):
    item = add_item(team.investigation, team.lawyer, signed)
    trust_list.write_text(stranger.root_pem)  # the organisation changed its list
    sign_in(client, team.lawyer)
    token = csrf_token(client, team.item_url(item))
    response = client.post(team.item_url(item, "/provenance"), data={"csrf_token": token})
    assert response.status_code == 302
    first, second = checks_of(item)
    assert (first.verdict, second.verdict) == ("trusted", "valid_untrusted")
    assert first.trust_list_sha256 != second.trust_list_sha256
    assert second.checked_by_id == team.lawyer.id
    assert [json.loads(e.body)["details"]["verdict"] for e in entries(item)] == [
        "trusted",
        "valid_untrusted",
    ]


def test_a_recheck_needs_the_csrf_token(client, team, signed):
    item = add_item(team.investigation, team.lawyer, signed)
    sign_in(client, team.lawyer)
    assert client.post(team.item_url(item, "/provenance")).status_code == 400
    assert len(checks_of(item)) == 1


def test_a_member_who_cannot_see_the_item_cannot_recheck_it(client, team, signed):
    item = add_item(team.investigation, team.field_a, signed)
    sign_in(client, team.field_b)
    token = csrf_token(client, f"/investigations/{team.ref}/evidence")
    response = client.post(team.item_url(item, "/provenance"), data={"csrf_token": token})
    assert response.status_code == 404
    assert len(checks_of(item)) == 1


def test_a_document_cannot_be_rechecked(client, team):
    item = add_item(team.investigation, team.lawyer, b"%PDF-1.4\n%%EOF\n", filename="a.pdf")
    sign_in(client, team.lawyer)
    token = csrf_token(client, team.item_url(item))
    response = client.post(team.item_url(item, "/provenance"), data={"csrf_token": token})
    assert response.status_code == 409 and checks_of(item) == []


def test_the_item_page_shows_the_verdict_signer_and_codes(client, team, trust_list, signed):
    item = add_item(team.investigation, team.lawyer, flip_image_byte(signed))
    sign_in(client, team.lawyer)
    page = client.get(team.item_url(item)).get_data(as_text=True)
    assert "Invalid: the file or its manifest changed after signing" in page
    assert "assertion.dataHash.mismatch" in page
    assert "Test Root Signer" in page and "2016-04-27T10:15:00Z" in page


def test_without_the_identity_grant_the_signer_and_claims_are_hidden(client, app_ctx, signed):
    from tests.api.helpers import ApiClient, issue_token

    team = Team(identities=False)
    item = add_item(team.investigation, team.lawyer, signed)
    sign_in(client, team.lawyer)
    page = client.get(team.item_url(item)).get_data(as_text=True)
    assert "Validly signed, but the signer is not on the trust list" in page
    assert "Test Root Signer" not in page and "2016-04-27" not in page
    api = ApiClient(client, issue_token(team.lawyer))
    body = api.get(f"/investigations/{team.ref}/evidence/{item.id}").get_json()
    (check,) = body["provenance_checks"]
    assert check["verdict"] == "valid_untrusted" and "signer" not in check
    assert "manifest" not in check and "Test Root Signer" not in json.dumps(body)


def test_the_api_gives_every_field_with_the_grant(client, team, trust_list, signed):
    from tests.api.helpers import ApiClient, issue_token

    item = add_item(team.investigation, team.lawyer, signed)
    api = ApiClient(client, issue_token(team.lawyer))
    body = api.get(f"/investigations/{team.ref}/evidence/{item.id}").get_json()
    (check,) = body["provenance_checks"]
    assert check["verdict"] == "trusted" and check["signer"]["subject"] == "Test Root Signer"
    assert check["sdk"]["c2pa-python"] == "0.38.1" and check["trust_list_sha256"]


def test_the_result_is_sealed_at_rest(team, trust_list, signed):
    item = add_item(team.investigation, team.lawyer, signed)
    raw = db.session.execute(
        text("SELECT result FROM provenance_checks WHERE evidence_id = :id"), {"id": item.id}
    ).scalar_one()
    assert b"Test Root Signer" not in bytes(raw) and b"trusted" not in bytes(raw)
