"""A WACZ's signature (WACZ Signing and Verification 0.1.0): the anonymous form verified and its
key's fingerprint reported; the domain form checked with its certificate chain and RFC 3161
timestamp (app/webcapture/domain_signature.py). A finding; never blocks intake."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.webcapture.domain_signature import der_signature, domain_verdict
from app.webcapture.trust import SignatureRoots

VALID, INVALID = "valid", "invalid"


def signature_verdict(
    digest_document: dict[str, Any], roots: SignatureRoots | None = None
) -> dict[str, Any] | None:
    """None for an unsigned package; else the form, the verdict and what it rests on. An
    anonymous signature proves only that the holder of that key signed this package hash."""
    signed = digest_document.get("signedData")
    if signed is None:
        return None
    if not isinstance(signed, dict):
        return {"form": "unknown", "verdict": INVALID, "reason": "signedData is not an object"}
    kept = {k: _text(signed.get(k)) for k in ("created", "software", "domain") if signed.get(k)}
    if signed.get("publicKey"):
        return {"form": "anonymous", **kept, **_anonymous(signed, digest_document.get("hash"))}
    if signed.get("domainCert"):
        verdict = domain_verdict(signed, digest_document.get("hash"), roots or SignatureRoots())
        return {"form": "domain", **kept, **verdict}
    return {"form": "unknown", **kept, "verdict": INVALID, "reason": "no publicKey or domainCert"}


def _anonymous(signed: dict[str, Any], package_hash: Any) -> dict[str, Any]:
    try:
        spki = base64.b64decode(str(signed["publicKey"]), validate=True)
        key = serialization.load_der_public_key(spki)
        signature = base64.b64decode(str(signed.get("signature") or ""), validate=True)
    except (binascii.Error, ValueError, TypeError):
        return {"verdict": INVALID, "reason": "publicKey or signature is not valid base64 DER"}
    fingerprint = hashlib.sha256(spki).hexdigest()
    found: dict[str, Any] = {"key_fingerprint": fingerprint}
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return {**found, "verdict": INVALID, "reason": "publicKey is not an ECDSA key"}
    found["curve"] = key.curve.name
    if signed.get("hash") != package_hash:
        reason = "the signed hash is not datapackage.json's hash"
        return {**found, "verdict": INVALID, "reason": reason}
    try:
        key.verify(
            der_signature(signature, key), str(signed["hash"]).encode(), ec.ECDSA(hashes.SHA256())
        )
    except (InvalidSignature, ValueError):
        return {**found, "verdict": INVALID, "reason": "the signature does not verify"}
    return {**found, "verdict": VALID}


def _text(value: Any) -> str:
    return str(value)[:500]
