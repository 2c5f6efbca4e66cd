"""An RFC 3161 token's own signature checked with the TSA certificate's key: a real token from
the local TSA verifies; a changed byte anywhere in what it signs, a cut or a mangled token is a
TokenSignatureError, never another exception."""

from __future__ import annotations

import pytest
from cryptography import x509
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rfc3161_client import decode_timestamp_response

from app.webcapture import tsa_token
from app.webcapture.tsa_token import TokenSignatureError, check_token_signature
from tests.helpers.tsa import LocalTSA
from tests.webcapture.domain_signing import make_domain_ca, stamp


@pytest.fixture(scope="module")
def token_and_certificate(tmp_path_factory):
    with LocalTSA(tmp_path_factory.mktemp("tsa")) as tsa:
        token = decode_timestamp_response(stamp(tsa, b"a signature")).time_stamp_token()
        certificate = x509.load_pem_x509_certificate((tsa.directory / "tsa.pem").read_bytes())
    return token, certificate


def test_a_real_token_verifies_with_its_tsa_certificate_only(token_and_certificate):
    token, certificate = token_and_certificate
    assert check_token_signature(token, certificate) is None
    with pytest.raises(TokenSignatureError, match="does not verify with the first certificate"):
        check_token_signature(token, make_domain_ca().leaf)


def signed_ranges(token: bytes) -> list[range]:
    """Where the token's signed bytes lie: its content (TSTInfo), its signed attributes and
    the signature itself; the rest (versions, the certificates, the signer's name) is not
    signed, so a change there may still verify."""
    content, signer = tsa_token._signed_data(token)
    parts = tsa_token._signer_parts(signer)
    found = []
    for piece in (content, parts["attributes"], parts["signature"]):
        start = token.index(piece)
        found.append(range(start, start + len(piece)))
    return found


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_changed_cut_or_mangled_token_fails_as_a_token_error_only(token_and_certificate, data):
    token, certificate = token_and_certificate
    how = data.draw(st.sampled_from(["flip", "cut", "insert"]))
    at = data.draw(st.integers(0, len(token) - 1))
    if how == "flip":
        flipped = token[at] ^ data.draw(st.integers(1, 255))
        changed = token[:at] + bytes([flipped]) + token[at + 1 :]
    elif how == "cut":
        changed = token[:at]
    else:
        changed = token[:at] + data.draw(st.binary(min_size=1, max_size=8)) + token[at:]
    try:
        outcome = check_token_signature(changed, certificate)
    except TokenSignatureError:
        return
    # Verified, or an algorithm identifier (unsigned) turned into one this check does not know
    # (the verdict then rests on the chain check): either way no signed byte was changed.
    assert outcome is None or outcome.startswith("the timestamp's signature algorithm")
    assert how == "flip" and not any(at in signed for signed in signed_ranges(token))
