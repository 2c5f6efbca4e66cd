"""A SafetyNet attestation in a ProofMode bundle (`<sha256>.gst`): its nonce bound to the media,
its JWS signature, and its certificate chain up to a root the operator configured.

SafetyNet's answer is a JWS (RFC 7515) whose `x5c` header carries the signer's chain, leaf
first (§4.1.6). Google's own steps: the chain must lead to a trusted root with a leaf issued
to attest.android.com, and the signature must verify with that leaf's key. Google's roots
cannot be fetched from this server, so the operator names a PEM file of roots
(CUSTOS_SAFETYNET_ROOTS); without one the chain is reported as not checked. The chain is
judged at the time the attestation says it was made (`timestampMs`): its certificates lasted
weeks, and a bundle may be checked years after the capture.

A Play Integrity token (JWE, five parts) is encrypted for the app's developer: it is recorded
as present, and no receiver can verify it.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.verification import DNSName, PolicyBuilder, Store, VerificationError

from app.provenance.trust import TrustList

ATTESTATION_HOST = "attest.android.com"
# Codes that make a bundle invalid: the attestation names another file, or was changed after
# it was signed. A chain that leads to no configured root makes the attestation worthless,
# not the media false: it is reported, like a C2PA signer off the trust list.
INVALIDATING = frozenset({"gst_nonce_mismatch", "gst_signature_bad"})


@dataclass(frozen=True)
class AttestationRoots:
    """The roots a SafetyNet chain must lead to; `problem` says why there are none."""

    certificates: tuple[x509.Certificate, ...] = ()
    problem: str | None = None


def roots_from(trust: TrustList) -> AttestationRoots:
    if not trust.pem:
        return AttestationRoots(problem="no root configured")
    try:
        return AttestationRoots(tuple(x509.load_pem_x509_certificates(trust.pem.encode())))
    except ValueError as exc:
        return AttestationRoots(problem=f"the root list does not parse: {exc}")


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_attestation(token: bytes, media_sha256: str, roots: AttestationRoots) -> list[dict]:
    """The codes one `.gst` file earns, each {"code", "explanation"}."""
    parts = token.decode("ascii", "replace").strip().split(".")
    if len(parts) == 5:
        return [_code("integrity_token_not_verifiable", "Play Integrity token")]
    try:
        if len(parts) != 3:
            raise ValueError("not three parts")
        header, payload = json.loads(_b64url(parts[0])), json.loads(_b64url(parts[1]))
        nonce = base64.b64decode(payload["nonce"])
        signature = _b64url(parts[2])
    except (KeyError, TypeError, ValueError, binascii.Error):
        return [_code("gst_unreadable", "not a SafetyNet JWS")]
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return [_code("gst_unreadable", "not a SafetyNet JWS")]
    bound = nonce[24:] == media_sha256.encode()
    codes = [_code("gst_nonce_bound" if bound else "gst_nonce_mismatch", "SafetyNet nonce")]
    try:
        chain = [
            x509.load_der_x509_certificate(base64.b64decode(c, validate=True))
            for c in header.get("x5c") or []
        ]
    except (TypeError, ValueError, binascii.Error):
        return [*codes, _code("gst_unreadable", "its certificate chain (x5c) does not parse")]
    if not chain:
        return [*codes, _code("gst_chain_missing", "no certificate chain (x5c): not checked")]
    signed = f"{parts[0]}.{parts[1]}".encode("ascii")
    codes.append(_signature(header.get("alg"), chain[0], signed, signature))
    codes.append(_chain(chain, roots, payload.get("timestampMs")))
    codes.append(
        _code(
            "gst_integrity",
            ", ".join(f"{k} {payload.get(k)}" for k in ("ctsProfileMatch", "basicIntegrity")),
        )
    )
    return codes


def _code(code: str, explanation: str) -> dict[str, str]:
    return {"code": code, "explanation": explanation[:300]}


def _signature(alg: Any, leaf: x509.Certificate, signed: bytes, signature: bytes) -> dict:
    key = leaf.public_key()
    try:
        if alg == "RS256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "ES256" and isinstance(key, ec.EllipticCurvePublicKey) and len(signature) == 64:
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            key.verify(der, signed, ec.ECDSA(hashes.SHA256()))
        else:
            return _code("gst_signature_bad", f"algorithm {alg!s:.20} with this leaf's key")
    except (InvalidSignature, UnsupportedAlgorithm):
        return _code("gst_signature_bad", "the JWS does not verify with its leaf certificate")
    return _code("gst_signature_good", "the JWS verifies with its leaf certificate")


def _chain(chain: list[x509.Certificate], roots: AttestationRoots, stamp: Any) -> dict:
    if not roots.certificates:
        return _code("gst_chain_not_checked", f"chain not checked: {roots.problem}")
    if isinstance(stamp, int) and not isinstance(stamp, bool) and 0 < stamp < 2**47:
        at = datetime.fromtimestamp(stamp / 1000, UTC)
    else:
        at = datetime.now(UTC)
    verifier = (
        PolicyBuilder()
        .store(Store(list(roots.certificates)))
        .time(at)
        .build_server_verifier(DNSName(ATTESTATION_HOST))
    )
    try:
        verifier.verify(chain[0], chain[1:])
    except VerificationError as exc:
        return _code("gst_chain_untrusted", f"at {at:%Y-%m-%dT%H:%M:%SZ}: {exc}")
    return _code(
        "gst_chain_trusted",
        f"issued to {ATTESTATION_HOST} under a configured root, at {at:%Y-%m-%dT%H:%M:%SZ}",
    )
