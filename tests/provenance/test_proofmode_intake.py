"""ProofMode bundles through intake and processing: received intact whatever they hold,
verified once, keys pinned on first use by a lawyer, a later bundle from another key said so."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from app.custody.models import LedgerEntry
from app.extensions import db
from app.provenance.models import ProvenanceCheck
from app.vault.storage import open_plaintext
from app.vault.upload.sniff import PROOFMODE
from tests.duplicates.support import Team, add_item
from tests.helpers.web import csrf_token, sign_in
from tests.provenance.proofmode_vectors import bundle


@pytest.fixture
def team(app_ctx):
    return Team()


def send(team, user, data: bytes):
    return add_item(team.investigation, user, data, filename="proof.zip")


def latest(item) -> ProvenanceCheck:
    stmt = select(ProvenanceCheck).where(ProvenanceCheck.evidence_id == item.id)
    return list(db.session.scalars(stmt.order_by(ProvenanceCheck.checked_at)))[-1]


def post(client, team, item, suffix: str):
    token = csrf_token(client, team.item_url(item))
    return client.post(team.item_url(item, suffix), data={"csrf_token": token})


def test_a_bundle_is_received_as_a_proofmode_bundle_and_checked(team, phone):
    data = bundle(phone)
    item = send(team, team.field_a, data)
    assert item.media_type == PROOFMODE and item.kind == "document"
    check = latest(item)
    assert (check.kind, check.verdict) == ("proofmode", "valid_untrusted")
    assert json.loads(check.result)["key"] == "first_use"
    assert open_plaintext(item.blob_key).as_file().read() == data


def test_a_zip_of_other_files_is_still_refused(team):
    from app.vault.upload.refusals import IntakeRefused

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("IMG_1.jpg", b"\xff\xd8\xff\xe0")
        archive.writestr("notes.html", b"<script>alert(1)</script>")
    with pytest.raises(IntakeRefused):
        send(team, team.field_a, out.getvalue())


def test_bad_bundles_are_received_intact_and_could_not_be_checked(team, phone):
    whole = bundle(phone)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("IMG_9.jpg", b"\x00" * (64 * 1024 * 1024))
    unknown = io.BytesIO()
    with zipfile.ZipFile(unknown, "w") as archive:
        archive.writestr("holiday.jpg", b"\xff\xd8\xff\xe0")
    for data, code in (
        (whole[: len(whole) // 2], "bundle_unreadable"),
        (bomb.getvalue(), "bundle_unreadable"),
        (bundle(phone, leave_out=(".jpg",)), "media_missing"),
        (unknown.getvalue(), "unknown_layout"),
    ):
        item = send(team, team.field_a, data)
        result = json.loads(latest(item).result)
        assert result["verdict"] == "could_not_check" and result["codes"][0]["code"] == code
        assert open_plaintext(item.blob_key).as_file().read() == data


def test_a_lawyer_pins_the_key_then_bundles_from_it_are_trusted(client, team, phone):
    first = send(team, team.field_a, bundle(phone))
    sign_in(client, team.lawyer)
    assert post(client, team, first, "/proofmode-key").status_code == 302
    (entry,) = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.action == "proofmode_key_pinned")
    )
    assert phone.fingerprint in json.loads(entry.body)["details"]["fingerprint"]
    second = send(team, team.field_a, bundle(phone))
    assert latest(second).verdict == "trusted"
    assert json.loads(latest(second).result)["pinned_keys"] == [phone.fingerprint]
    assert post(client, team, first, "/provenance").status_code == 302
    assert latest(first).verdict == "trusted"  # the re-check; the first check stays
    assert len(list(db.session.scalars(select(ProvenanceCheck.id)))) == 3


def test_a_bundle_from_another_key_says_so(client, team, phone, other_phone):
    first = send(team, team.field_a, bundle(phone))
    sign_in(client, team.lawyer)
    post(client, team, first, "/proofmode-key")
    later = send(team, team.field_a, bundle(other_phone))
    result = json.loads(latest(later).result)
    assert result["verdict"] == "valid_untrusted" and result["key"] == "other_key"
    page = client.get(team.item_url(later)).get_data(as_text=True)
    assert "key_not_pinned" in page and other_phone.fingerprint in page


def test_pins_belong_to_the_sender(client, team, phone):
    first = send(team, team.field_a, bundle(phone))
    sign_in(client, team.lawyer)
    post(client, team, first, "/proofmode-key")
    from_b = send(team, team.field_b, bundle(phone))
    assert json.loads(latest(from_b).result)["key"] == "first_use"


def test_a_field_researcher_cannot_pin(client, team, phone):
    item = send(team, team.field_a, bundle(phone))
    sign_in(client, team.field_a)
    assert post(client, team, item, "/proofmode-key").status_code == 403


def test_a_key_is_pinned_once(client, team, phone):
    item = send(team, team.field_a, bundle(phone))
    sign_in(client, team.lawyer)
    post(client, team, item, "/proofmode-key")
    assert post(client, team, item, "/proofmode-key").status_code == 409


def test_a_photo_has_no_key_to_pin(client, team):
    from tests.duplicates.support import jpeg, scene

    item = add_item(team.investigation, team.field_a, jpeg(scene(2)))
    sign_in(client, team.lawyer)
    assert post(client, team, item, "/proofmode-key").status_code == 409


def test_without_the_identity_grant_the_key_and_claims_are_hidden(client, app_ctx, phone):
    team = Team(identities=False)
    item = send(team, team.field_a, bundle(phone))
    sign_in(client, team.lawyer)
    page = client.get(team.item_url(item)).get_data(as_text=True)
    assert "Media and proofs agree with the bundle&#39;s key, not a pinned one" in page
    assert phone.fingerprint not in page and "36.2021" not in page


def test_a_safetynet_chain_is_checked_against_the_configured_roots(
    client, app, team, phone, tmp_path, monkeypatch
):
    import hashlib

    from tests.provenance.proofmode_vectors import make_attestation_authority

    google = make_attestation_authority()
    roots = tmp_path / "safetynet-roots.pem"
    roots.write_text(google.root_pem)
    monkeypatch.setitem(app.config, "CUSTOS_SAFETYNET_ROOTS", str(roots))
    item = send(team, team.field_a, bundle(phone, safetynet=google))
    check = latest(item)
    codes = {c["code"] for c in json.loads(check.result)["codes"]}
    assert {"gst_nonce_bound", "gst_signature_good", "gst_chain_trusted"} <= codes
    assert check.trust_list_sha256 == hashlib.sha256(roots.read_bytes()).hexdigest()
    (entry,) = db.session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.action == "provenance_checked", LedgerEntry.object_id == item.id
        )
    )
    assert json.loads(entry.body)["details"]["trust_list_sha256"] == check.trust_list_sha256
    sign_in(client, team.lawyer)
    page = client.get(team.item_url(item)).get_data(as_text=True)
    assert "gst_chain_trusted" in page and check.trust_list_sha256 in page


def test_without_configured_roots_the_page_says_the_chain_was_not_checked(client, team, phone):
    from tests.provenance.proofmode_vectors import make_attestation_authority

    item = send(team, team.field_a, bundle(phone, safetynet=make_attestation_authority()))
    sign_in(client, team.lawyer)
    page = client.get(team.item_url(item)).get_data(as_text=True)
    assert "chain not checked: no root configured" in page


def test_an_unreadable_root_list_is_named_in_the_reason(app, team, phone, tmp_path, monkeypatch):
    from tests.provenance.proofmode_vectors import make_attestation_authority

    monkeypatch.setitem(app.config, "CUSTOS_SAFETYNET_ROOTS", str(tmp_path / "gone.pem"))
    item = send(team, team.field_a, bundle(phone, safetynet=make_attestation_authority()))
    result = json.loads(latest(item).result)
    (chain,) = [c for c in result["codes"] if c["code"].startswith("gst_chain")]
    assert chain["code"] == "gst_chain_not_checked" and "gone.pem" in chain["explanation"]
    assert result["verdict"] == "valid_untrusted"


def large_photo() -> bytes:
    """A photo much larger than the 64 KiB intake looks at, so a bundle that starts with it
    shows nothing else in that prefix."""
    from PIL import Image

    from tests.duplicates.support import jpeg

    noisy = Image.effect_noise((1200, 900), 60).convert("RGB")
    data = jpeg(noisy, quality=95)
    assert len(data) > 4 * 64 * 1024
    return data


def test_a_bundle_led_by_large_media_without_an_extension_is_received_and_checked(team, phone):
    data = bundle(phone, large_photo(), media_name="IMG_20161104_101500")
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()[0] == "IMG_20161104_101500"
    item = send(team, team.field_a, data)
    assert item.media_type == PROOFMODE
    result = json.loads(latest(item).result)
    assert result["verdict"] == "valid_untrusted"
    assert result["media_member"] == "IMG_20161104_101500"
    assert "media_signature_good" in {c["code"] for c in result["codes"]}


def test_a_member_without_an_extension_is_judged_by_its_content(team):
    from app.vault.upload.refusals import IntakeRefused

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("IMG_20161104_101500", b"<html><script>alert(1)</script>" * 4000)
    with pytest.raises(IntakeRefused):
        send(team, team.field_a, out.getvalue())


def test_media_without_an_extension_is_still_capped_before_extraction(team):
    """Its first bytes are a photo's (intake admits it), the rest a zip bomb: the bundle is
    received intact, and its check refuses to extract it."""
    from tests.duplicates.support import jpeg, scene

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("IMG_1", jpeg(scene(3)) + b"\x00" * (64 * 1024 * 1024))
    item = send(team, team.field_a, out.getvalue())
    result = json.loads(latest(item).result)
    assert result["verdict"] == "could_not_check" and "zip bomb" in result["reason"]
    assert open_plaintext(item.blob_key).as_file().read() == out.getvalue()
