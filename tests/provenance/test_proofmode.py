"""ProofMode bundles verified offline: bundles signed at run time with gpg (good, media
tampered, JSON tampered, another key), timestamps, SafetyNet nonces, and bad input (a
truncated bundle, a zip bomb, no media, an unknown layout) that gets "could not check"."""

from __future__ import annotations

import io
import zipfile

import pytest

from app.provenance.proofmode import verify_bundle
from tests.provenance.proofmode_vectors import bundle

pytestmark = pytest.mark.nodb


def verify(data: bytes, pinned: set[str] | None = None) -> dict:
    return verify_bundle(io.BytesIO(data), pinned or set())


def codes(outcome: dict) -> set[str]:
    return {c["code"] for c in outcome["codes"]}


def test_a_good_bundle_from_a_pinned_key_is_trusted(phone):
    outcome = verify(bundle(phone), {phone.fingerprint})
    assert outcome["verdict"] == "trusted"
    assert {"media_signature_good", "metadata_signature_good"} <= codes(outcome)
    assert outcome["key_fingerprint"] == phone.fingerprint and outcome["key"] == "pinned"


def test_a_good_bundle_before_any_key_is_pinned_is_valid_but_first_use(phone):
    outcome = verify(bundle(phone))
    assert outcome["verdict"] == "valid_untrusted" and outcome["key"] == "first_use"
    assert "key_not_pinned" in codes(outcome)


def test_a_bundle_signed_by_another_key_than_the_pinned_one_says_so(phone, other_phone):
    outcome = verify(bundle(other_phone), {phone.fingerprint})
    assert outcome["verdict"] == "valid_untrusted" and outcome["key"] == "other_key"
    assert outcome["key_fingerprint"] == other_phone.fingerprint


def test_tampered_media_is_a_hash_mismatch(phone):
    outcome = verify(bundle(phone, tamper_media=True), {phone.fingerprint})
    assert outcome["verdict"] == "invalid" and "hash_mismatch" in codes(outcome)


def test_tampered_proof_json_fails_its_signature(phone):
    outcome = verify(bundle(phone, tamper_json=True), {phone.fingerprint})
    assert outcome["verdict"] == "invalid" and "metadata_signature_bad" in codes(outcome)


def test_signatures_by_a_key_other_than_the_bundled_one_are_bad(phone, other_phone):
    outcome = verify(bundle(phone, sign_with=other_phone), {phone.fingerprint})
    assert outcome["verdict"] == "invalid"
    assert {"media_signature_bad", "metadata_signature_bad"} <= codes(outcome)


def test_the_media_signature_may_be_named_after_the_media(phone):
    good = zipfile.ZipFile(io.BytesIO(bundle(phone)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as renamed:
        for info in good.infolist():
            name = info.filename
            if name.endswith(".asc") and not name.endswith(("proof.json.asc", "proof.csv.asc")):
                name = name if name == "pubkey.asc" else "IMG_1.jpg.asc"
            renamed.writestr(name, good.read(info))
    outcome = verify(out.getvalue(), {phone.fingerprint})
    assert outcome["verdict"] == "trusted" and "media_signature_good" in codes(outcome)


def test_the_claims_are_kept(phone):
    outcome = verify(bundle(phone))
    assert outcome["claimed"] == {
        "capture_time": "2016-04-27T10:15:00Z",
        "place": ["36.2021", "37.1343"],
    }
    assert outcome["proof"]["Location.Accuracy"] == "12"


def test_an_attested_timestamp_reports_its_block_height(phone):
    outcome = verify(bundle(phone, ots_height=800000), {phone.fingerprint})
    (ots,) = [c for c in outcome["codes"] if c["code"].startswith("ots_")]
    assert ots["code"] == "ots_attested" and "800000" in ots["explanation"]


def test_a_pending_timestamp_is_pending(phone):
    outcome = verify(bundle(phone, ots_height=None), {phone.fingerprint})
    assert "ots_pending" in codes(outcome) and outcome["verdict"] == "trusted"


def test_a_timestamp_of_another_file_is_a_mismatch(phone):
    from tests.provenance.proofmode_vectors import ots_file

    good = bundle(phone)
    sha = verify(good)["proof_sha256"]
    wrong = bundle(phone, extra={f"{sha}.ots": ots_file("ab" * 32)})
    outcome = verify(wrong, {phone.fingerprint})
    assert outcome["verdict"] == "invalid" and "ots_commitment_mismatch" in codes(outcome)


def test_a_safetynet_nonce_bound_to_the_media(phone):
    outcome = verify(bundle(phone, safetynet=True), {phone.fingerprint})
    assert "gst_nonce_bound" in codes(outcome)


def test_a_play_integrity_token_is_recorded_as_not_verifiable(phone):
    sha = verify(bundle(phone))["proof_sha256"]
    token = b"eyJhbGciOiJBMjU2S1cifQ.a.b.c.d"
    outcome = verify(bundle(phone, extra={f"{sha}.gst": token}), {phone.fingerprint})
    assert "integrity_token_not_verifiable" in codes(outcome)
    assert outcome["verdict"] == "trusted"


def test_a_truncated_bundle_could_not_be_checked(phone):
    data = bundle(phone)
    outcome = verify(data[: len(data) // 2])
    assert outcome["verdict"] == "could_not_check" and codes(outcome) == {"bundle_unreadable"}


def test_a_zip_bomb_is_refused_before_extraction():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.jpg", b"\x00" * (64 * 1024 * 1024))
    outcome = verify(out.getvalue())
    assert outcome["verdict"] == "could_not_check" and "zip bomb" in outcome["reason"]


def test_too_many_members_are_refused_before_extraction(phone):
    extra = {f"note-{n}.txt": b"x" for n in range(100)}
    outcome = verify(bundle(phone, extra=extra))
    assert outcome["verdict"] == "could_not_check" and "members" in outcome["reason"]


def test_a_bundle_without_its_media_could_not_be_checked(phone):
    outcome = verify(bundle(phone, leave_out=(".jpg",)))
    assert outcome["verdict"] == "could_not_check" and codes(outcome) == {"media_missing"}


def test_an_unknown_layout_could_not_be_checked():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("holiday.jpg", b"\xff\xd8\xff")
    outcome = verify(out.getvalue())
    assert outcome["verdict"] == "could_not_check" and codes(outcome) == {"unknown_layout"}


def test_a_bundle_without_a_key_is_invalid(phone):
    outcome = verify(bundle(phone, leave_out=("pubkey.asc",)))
    assert outcome["verdict"] == "invalid" and "key_missing" in codes(outcome)


def test_no_key_is_added_to_the_servers_own_keyring(phone, tmp_path, monkeypatch):
    """Each verification has its own GnuPG home: the default one stays untouched."""
    monkeypatch.setenv("GNUPGHOME", str(tmp_path))
    verify(bundle(phone))
    assert list(tmp_path.iterdir()) == []


def test_a_safetynet_nonce_of_another_file_is_a_mismatch(phone):
    from tests.provenance.proofmode_vectors import safetynet_jws

    sha = verify(bundle(phone))["proof_sha256"]
    gst = {f"{sha}.gst": safetynet_jws("cd" * 32)}
    outcome = verify(bundle(phone, extra=gst), {phone.fingerprint})
    assert outcome["verdict"] == "invalid" and "gst_nonce_mismatch" in codes(outcome)


def test_a_bundle_without_its_proof_json_could_not_be_checked(phone):
    outcome = verify(bundle(phone, leave_out=(".proof.json",)))
    assert outcome["verdict"] == "could_not_check" and codes(outcome) == {"metadata_missing"}
