"""SafetyNet attestations in ProofMode bundles: the JWS signature and its certificate chain,
checked against a configured root (a local attestation CA made at run time stands in for
Google's, which cannot be fetched here), and "chain not checked" when no root is set."""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from app.provenance.proofmode import verify_bundle
from app.provenance.safetynet import AttestationRoots, roots_from
from app.provenance.trust import TrustList
from tests.provenance.proofmode_vectors import (
    bundle,
    make_attestation_authority,
    media_sha256,
    signed_safetynet_jws,
)

pytestmark = pytest.mark.nodb


@pytest.fixture(scope="module")
def google():
    """Stands in for Google's attestation PKI."""
    return make_attestation_authority()


def roots(*authorities) -> AttestationRoots:
    return roots_from(TrustList("".join(a.root_pem for a in authorities), "x"))


def verify(phone, token: bytes, trusted: AttestationRoots | None = None) -> dict:
    data = bundle(phone, extra={f"{media_sha256()}.gst": token})
    return verify_bundle(io.BytesIO(data), {phone.fingerprint}, trusted)


def code(outcome: dict, prefix: str) -> dict:
    (found,) = [c for c in outcome["codes"] if c["code"].startswith(prefix)]
    return found


def test_a_signed_attestation_under_the_configured_root_is_trusted(phone, google):
    outcome = verify(phone, signed_safetynet_jws(media_sha256(), google), roots(google))
    codes = {c["code"] for c in outcome["codes"]}
    assert {"gst_nonce_bound", "gst_signature_good", "gst_chain_trusted"} <= codes
    assert "attest.android.com" in code(outcome, "gst_chain")["explanation"]
    integrity = code(outcome, "gst_integrity")["explanation"]
    assert integrity == "ctsProfileMatch True, basicIntegrity True"
    assert outcome["verdict"] == "trusted"


def test_without_a_root_the_chain_is_not_checked_and_says_so(phone, google):
    outcome = verify(phone, signed_safetynet_jws(media_sha256(), google))
    assert code(outcome, "gst_chain") == {
        "code": "gst_chain_not_checked",
        "explanation": "chain not checked: no root configured",
    }
    assert code(outcome, "gst_signature")["code"] == "gst_signature_good"


def test_a_chain_to_another_root_is_untrusted_and_reported(phone, google):
    stranger = make_attestation_authority()
    outcome = verify(phone, signed_safetynet_jws(media_sha256(), stranger), roots(google))
    assert code(outcome, "gst_chain")["code"] == "gst_chain_untrusted"
    # The attestation is then worth nothing; the media and its proofs still agree.
    assert outcome["verdict"] == "trusted"


def test_a_leaf_issued_to_another_host_is_untrusted(phone):
    impostor = make_attestation_authority(host="attest.example.org")
    outcome = verify(phone, signed_safetynet_jws(media_sha256(), impostor), roots(impostor))
    assert code(outcome, "gst_chain")["code"] == "gst_chain_untrusted"


def test_an_attestation_changed_after_signing_is_invalid(phone, google):
    header, payload, signature = signed_safetynet_jws(media_sha256(), google).split(b".")
    claims = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
    claims["ctsProfileMatch"] = not claims["ctsProfileMatch"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    outcome = verify(phone, b".".join((header, forged, signature)), roots(google))
    assert code(outcome, "gst_signature")["code"] == "gst_signature_bad"
    assert outcome["verdict"] == "invalid"


def test_the_chain_is_judged_at_the_time_the_attestation_was_made(phone):
    long_ago = datetime.now(UTC) - timedelta(days=800)
    expired = make_attestation_authority(valid_from=long_ago, days=90)
    then = signed_safetynet_jws(media_sha256(), expired, at=long_ago + timedelta(days=10))
    assert code(verify(phone, then, roots(expired)), "gst_chain")["code"] == "gst_chain_trusted"
    now = signed_safetynet_jws(media_sha256(), expired)
    assert code(verify(phone, now, roots(expired)), "gst_chain")["code"] == "gst_chain_untrusted"


def test_an_attestation_of_another_file_is_invalid_even_when_well_signed(phone, google):
    outcome = verify(phone, signed_safetynet_jws("ab" * 32, google), roots(google))
    assert "gst_nonce_mismatch" in {c["code"] for c in outcome["codes"]}
    assert outcome["verdict"] == "invalid"


def test_an_attestation_without_a_chain_says_so(phone):
    outcome = verify_bundle(io.BytesIO(bundle(phone, safetynet=True)), {phone.fingerprint})
    assert code(outcome, "gst_chain")["code"] == "gst_chain_missing"
    assert outcome["verdict"] == "trusted"


def test_a_chain_that_does_not_parse_is_unreadable(phone, google):
    header = base64.urlsafe_b64encode(b'{"alg":"RS256","x5c":["bm90IGEgY2VydA=="]}').rstrip(b"=")
    _, payload, signature = signed_safetynet_jws(media_sha256(), google).split(b".")
    outcome = verify(phone, b".".join((header, payload, signature)), roots(google))
    assert code(outcome, "gst_unreadable")["explanation"].startswith("its certificate chain")


def test_a_root_list_that_does_not_parse_is_reported_as_the_reason(phone, google):
    broken = roots_from(TrustList("-----BEGIN CERTIFICATE-----\nnope\n", "x"))
    outcome = verify(phone, signed_safetynet_jws(media_sha256(), google), broken)
    assert code(outcome, "gst_chain")["code"] == "gst_chain_not_checked"
    assert "does not parse" in code(outcome, "gst_chain")["explanation"]
