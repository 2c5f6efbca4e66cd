"""WACZ signatures: the anonymous form (ECDSA P-384, WebCrypto's raw r‖s over the package hash)
verified with its key's fingerprint; a bad one named; a domain form without a certificate;
a verdict about the package, never a reason to refuse it."""

from __future__ import annotations

import base64
import hashlib
import io
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from markupsafe import escape

from app.webcapture.inspection import inspect_capture
from app.webcapture.limits import CaptureLimits
from tests.security.intake_channels import (  # noqa: F401 (fixtures)
    intake_fixture,
    vault_dir_fixture,
)
from tests.webcapture.captures import PAGES, wacz_bytes, wacz_members
from tests.webcapture.test_intake import only_check, stored_intact

KEY = ec.generate_private_key(ec.SECP384R1())
OTHER_KEY = ec.generate_private_key(ec.SECP384R1())


def spki(key) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def signer(key=KEY, raw=True, signed_hash=None, public=None):
    """signedData as ArchiveWeb.page makes it (raw r‖s), or DER; optionally lying."""

    def sign(package_hash: str) -> dict:
        der = key.sign((signed_hash or package_hash).encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        signature = r.to_bytes(48, "big") + s.to_bytes(48, "big") if raw else der
        return {
            "hash": signed_hash or package_hash,
            "created": "2026-03-01T08:01:00Z",
            "software": "ArchiveWeb.page 0.12.8",
            "signature": base64.b64encode(signature).decode(),
            "publicKey": base64.b64encode(spki(public or key)).decode(),
        }

    return sign


def inspect(data: bytes) -> dict:
    return inspect_capture("application/wacz", io.BytesIO(data), CaptureLimits())


def test_an_anonymous_signature_verifies_and_names_its_keys_fingerprint():
    for raw in (True, False):
        result = inspect(wacz_bytes(sign=signer(raw=raw)))
        assert result["verdict"] == "passed"
        assert result["signature"] == {
            "form": "anonymous",
            "created": "2026-03-01T08:01:00Z",
            "software": "ArchiveWeb.page 0.12.8",
            "key_fingerprint": hashlib.sha256(spki(KEY)).hexdigest(),
            "curve": "secp384r1",
            "verdict": "valid",
        }


def test_a_signature_that_does_not_hold_is_named_and_the_package_still_passes():
    cases = {
        "the signature does not verify": signer(key=OTHER_KEY, public=KEY),
        "the signed hash is not datapackage.json's hash": signer(signed_hash="sha256:" + "0" * 64),
    }
    for reason, sign in cases.items():
        result = inspect(wacz_bytes(sign=sign))
        assert result["verdict"] == "passed"  # the package is intact; its signature is not
        assert result["signature"]["verdict"] == "invalid"
        assert result["signature"]["reason"] == reason
        assert result["signature"]["key_fingerprint"] == hashlib.sha256(spki(KEY)).hexdigest()


def test_a_domain_signature_with_no_certificate_in_it_is_invalid():
    """Verified ones: tests/webcapture/test_domain_signature.py."""

    def domain(package_hash):
        return {"hash": package_hash, "domain": "archive.example", "domainCert": "PEM"}

    result = inspect(wacz_bytes(sign=domain))
    assert result["signature"]["form"] == "domain"
    assert result["signature"]["verdict"] == "invalid"
    assert result["signature"]["reason"] == "domainCert is not a PEM certificate chain"
    assert result["signature"]["domain"] == "archive.example"


def test_an_unsigned_package_has_no_signature_verdict():
    assert inspect(wacz_bytes())["signature"] is None


def test_the_item_page_shows_the_signing_key_or_the_failing_signature(intake):
    data = wacz_bytes(sign=signer())
    item = stored_intact(intake, intake.send("web", "c.wacz", data), data, "application/wacz")
    page = intake.web.get(f"/investigations/{intake.ref}/evidence/{item.id}").get_data(True)
    assert f"Signed by key {hashlib.sha256(spki(KEY)).hexdigest()}" in page
    assert json.loads(only_check(item).result)["signature"]["verdict"] == "valid"
    bad = wacz_bytes(sign=signer(key=OTHER_KEY, public=KEY))
    item = stored_intact(intake, intake.send("web", "b.wacz", bad), bad, "application/wacz")
    page = intake.web.get(f"/investigations/{intake.ref}/evidence/{item.id}").get_data(True)
    assert "The signature does not hold: the signature does not verify" in page


def test_a_signed_capture_shows_its_pages_records_verified_hashes_and_key(intake):
    """Issue 20's "done when", first two clauses: a signed package's page, then a copy of it
    with one resource changed (the signature covers datapackage.json, which still holds)."""
    data = wacz_bytes(sign=signer())
    item = stored_intact(intake, intake.send("web", "s.wacz", data), data, "application/wacz")
    page = intake.web.get(f"/investigations/{intake.ref}/evidence/{item.id}").get_data(True)
    result = json.loads(only_check(item).result)
    assert "Passed, checked" in page
    assert f"Signed by key {hashlib.sha256(spki(KEY)).hexdigest()}" in page
    for url, ts, _ in PAGES:
        assert url in page and ts in page
    for record in result["records"]:
        assert str(escape(record["record_id"])) in page
    for resource in result["resources"]:
        assert resource["sha256"] == resource["declared_sha256"]
        assert resource["sha256"] in page
    members = wacz_members()
    changed = dict(members, **{"archive/data.warc.gz": members["archive/data.warc.gz"][:-1]})
    tampered = wacz_bytes(changed, declared=members, sign=signer())
    item = stored_intact(
        intake, intake.send("web", "t.wacz", tampered), tampered, "application/wacz"
    )
    page = intake.web.get(f"/investigations/{intake.ref}/evidence/{item.id}").get_data(True)
    assert "Fails at archive/data.warc.gz" in page
