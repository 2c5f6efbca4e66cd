"""A WACZ domain signature ("Domain-Name Identity + Signed Timestamp", WACZ Signing and
Verification 0.1.0) checked offline: nothing is fetched, no revocation list or CT log asked.

The steps of the specification, in the order a verdict needs them:
- `signature` verifies over `hash` (which must be datapackage.json's) with the key of the
  first certificate of `domainCert`, and that certificate names `domain`;
- `crossSignedCert`, when present, holds that same key (step 9);
- `timeSignature` is an RFC 3161 timestamp response whose imprint is the hash of `signature`
  (the base64 text, as authsign stamps it), signed (its own CMS signature verified here) by the
  first certificate of `timestampCert`;
- the stated `created` time is within 10 minutes of the timestamp's, and the timestamp falls
  within the domain certificate's validity;
- both chains end in the configured roots (app/webcapture/trust.py), the domain's at the
  timestamp's time, and the token's chain with rfc3161-client; when the domain certificate's
  chain does not, a cross-signed certificate for the domain whose chain does is the trust path
  instead (step 9's alternative).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from app.webcapture.trust import SignatureRoots
from app.webcapture.tsa_token import TokenSignatureError, check_token_signature

VERIFIED, UNTRUSTED, OUT_OF_WINDOW = "verified", "untrusted_chain", "time_outside_window"
INVALID, COULD_NOT_CHECK = "invalid", "could_not_check"
WINDOW = timedelta(minutes=10)
_IMPRINT_HASHES = {
    "2.16.840.1.101.3.4.2.1": hashlib.sha256,
    "2.16.840.1.101.3.4.2.2": hashlib.sha384,
    "2.16.840.1.101.3.4.2.3": hashlib.sha512,
}


class _Invalid(Exception):
    """The signature or its timestamp does not hold (the message says which and why)."""


def domain_verdict(signed: dict[str, Any], package_hash: Any, roots: SignatureRoots) -> dict:
    found: dict[str, Any] = {"trust": roots.described()}
    try:
        leaf, intermediates = _chain(signed.get("domainCert"), "domainCert")
        found["certificate"] = _described(leaf)
        _check_signature(leaf, signed, package_hash)
        _check_names(leaf, signed.get("domain"))
        cross = _cross_signed(signed.get("crossSignedCert"), leaf)
        if cross is not None:
            found["cross_signed"] = {"certificate": _described(cross[0])}
        tsa, _ = _chain(signed.get("timestampCert"), "timestampCert")
        response = _timestamp(signed.get("timeSignature"), str(signed["signature"]))
        stamped_at = _utc(response.tst_info.gen_time)
        found["timestamp"] = {"time": _iso(stamped_at), "tsa": tsa.subject.rfc4514_string()}
        _check_signer(response, tsa)
        unchecked = _check_token_signature(response, tsa)
        if unchecked:
            found["timestamp"]["signature_not_checked"] = unchecked
    except _Invalid as exc:
        return {**found, "verdict": INVALID, "reason": str(exc)}
    outside = _outside_window(signed.get("created"), stamped_at, leaf)
    if outside:
        return {**found, "verdict": OUT_OF_WINDOW, "reason": outside}
    if roots.problem:
        return {**found, "verdict": COULD_NOT_CHECK, "reason": roots.problem}
    domain = str(signed["domain"])
    untrusted = _untrusted(leaf, intermediates, domain, stamped_at, roots)
    if cross is not None:
        cross_untrusted = _untrusted_cross(*cross, domain, stamped_at, roots)
        found["cross_signed"]["chain"] = cross_untrusted or "trusted"
        if untrusted and not cross_untrusted:
            found["trust_path"], untrusted = "crossSignedCert", None
        elif untrusted:
            untrusted = f"{untrusted}; crossSignedCert: {cross_untrusted}"
    untrusted = untrusted or _untrusted_timestamp(response, str(signed["signature"]), roots)
    if untrusted and unchecked:  # neither this check nor the chain's vouched for the token
        return {**found, "verdict": COULD_NOT_CHECK, "reason": f"{unchecked}; {untrusted}"}
    if untrusted:
        return {**found, "verdict": UNTRUSTED, "reason": untrusted}
    return {**found, "verdict": VERIFIED}


def der_signature(signature: bytes, key: ec.EllipticCurvePublicKey) -> bytes:
    """WebCrypto (ArchiveWeb.page) signs as raw r‖s; a DER signature is taken as it is."""
    size = (key.curve.key_size + 7) // 8
    if len(signature) == 2 * size:
        r, s = signature[:size], signature[size:]
        return encode_dss_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big"))
    return signature


def _chain(pem: Any, field: str) -> tuple[x509.Certificate, list[x509.Certificate]]:
    if not isinstance(pem, str) or not pem.strip():
        raise _Invalid(f"no {field}")
    try:
        certificates = x509.load_pem_x509_certificates(pem.encode("ascii", "replace"))
    except ValueError:
        raise _Invalid(f"{field} is not a PEM certificate chain") from None
    return certificates[0], certificates[1:]


def _described(certificate: x509.Certificate) -> dict[str, str]:
    return {
        "subject": certificate.subject.rfc4514_string()[:500],
        "issuer": certificate.issuer.rfc4514_string()[:500],
        "serial": format(certificate.serial_number, "x"),
        "sha256": certificate.fingerprint(hashes.SHA256()).hex(),
        "not_before": _iso(certificate.not_valid_before_utc),
        "not_after": _iso(certificate.not_valid_after_utc),
    }


def _check_signature(leaf: x509.Certificate, signed: dict[str, Any], package_hash: Any) -> None:
    if signed.get("hash") != package_hash:
        raise _Invalid("the signed hash is not datapackage.json's hash")
    try:
        signature = base64.b64decode(str(signed.get("signature") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise _Invalid("the signature is not valid base64") from None
    key, data = leaf.public_key(), str(signed["hash"]).encode()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(der_signature(signature, key), data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            raise _Invalid("the domain certificate's key is neither ECDSA nor RSA")
    except (InvalidSignature, ValueError):
        raise _Invalid("the signature does not verify with the domain certificate") from None


def _check_names(leaf: x509.Certificate, domain: Any) -> None:
    """The specification's step 4: the certificate is for `domain` (its DNS names)."""
    if not isinstance(domain, str) or not domain:
        raise _Invalid("no domain")
    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        dns = names.value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        dns = []
    wanted = domain.lower().rstrip(".")
    for name in (n.lower() for n in dns):
        if name == wanted or (name.startswith("*.") and wanted.partition(".")[2] == name[2:]):
            return
    raise _Invalid(f"the domain certificate is not for {domain[:253]}")


def _cross_signed(pem: Any, leaf: x509.Certificate) -> tuple | None:
    """The specification's step 9, first half: a cross-signed certificate (and its chain) for
    the same key as the domain certificate, or None when the package carries none."""
    if pem is None or pem == "":
        return None
    cross, intermediates = _chain(pem, "crossSignedCert")
    if _spki(cross) != _spki(leaf):
        raise _Invalid("crossSignedCert does not hold the domain certificate's key")
    return cross, intermediates


def _spki(certificate: x509.Certificate) -> bytes:
    return certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _untrusted_cross(cross, intermediates: list, domain: str, at: datetime, roots) -> str | None:
    """Step 9, second half: the cross-signed chain ends in a configured domain root at the
    timestamp's time and the certificate names the domain (in its DNS names, or its common
    name as authsign's cross-signing CA writes it). Its extensions are not held to the Web
    PKI profile: a private cross-signing CA issues without them."""
    from cryptography.x509.verification import (
        ExtensionPolicy,
        PolicyBuilder,
        Store,
        VerificationError,
    )

    if not roots.domain:
        return "no trusted domain roots are configured (CUSTOS_WACZ_DOMAIN_ROOTS)"
    if not _names_domain(cross, domain):
        return f"the cross-signed certificate is not for {domain[:253]}"
    policy = (
        PolicyBuilder()
        .store(Store(list(roots.domain)))
        .time(at)
        .extension_policies(
            ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all()
        )
    )
    try:
        policy.build_client_verifier().verify(cross, intermediates)
    except (VerificationError, ValueError) as exc:
        return f"the cross-signed certificate does not chain to a trusted root ({str(exc)[:300]})"
    return None


def _names_domain(certificate: x509.Certificate, domain: str) -> bool:
    try:
        _check_names(certificate, domain)
    except _Invalid:
        common = certificate.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
        wanted = domain.lower().rstrip(".")
        return any(str(name.value).lower().rstrip(".") == wanted for name in common)
    return True


def _check_token_signature(response, tsa: x509.Certificate) -> str | None:
    """The token's own signature with the key of the first certificate of timestampCert (a
    broken one is `invalid`, whatever the roots); its chain is the trust step's."""
    try:
        return check_token_signature(response.time_stamp_token(), tsa)
    except TokenSignatureError as exc:
        raise _Invalid(str(exc)) from None


def _timestamp(value: Any, signature: str):
    from rfc3161_client import decode_timestamp_response  # lazy: ~4 MB, workers only

    try:
        data = base64.b64decode(str(value or ""), validate=True)
        response = decode_timestamp_response(data)
        imprint = response.tst_info.message_imprint
    except Exception:  # noqa: BLE001 (the Rust parser raises several kinds)
        raise _Invalid("timeSignature is not an RFC 3161 timestamp response") from None
    digest = _IMPRINT_HASHES.get(imprint.hash_algorithm.dotted_string)
    if digest is None:
        raise _Invalid("the timestamp's hash is not SHA-256, SHA-384 or SHA-512")
    if digest(signature.encode()).digest() != imprint.message:
        raise _Invalid("the timestamp is not over this signature")
    return response


def _check_signer(response, tsa: x509.Certificate) -> None:
    """The token names the first certificate of timestampCert as its one signer. Whether that
    certificate is to be trusted is the configured roots' say (below), never the package's."""
    infos = list(response.signed_data.signer_infos)
    if len(infos) != 1 or (infos[0].issuer, infos[0].serial_number) != (
        tsa.issuer,
        tsa.serial_number,
    ):
        raise _Invalid("the timestamp is not signed by the first certificate of timestampCert")


def _untrusted_timestamp(response, signature: str, roots: SignatureRoots) -> str | None:
    from rfc3161_client import VerificationError, VerifierBuilder

    if not roots.timestamp:
        return "no trusted timestamp roots are configured (CUSTOS_WACZ_TIMESTAMP_ROOTS)"
    try:
        VerifierBuilder(roots=list(roots.timestamp)).build().verify_message(
            response, signature.encode()
        )
    except (VerificationError, ValueError) as exc:
        return f"the timestamp does not verify against a trusted timestamp root ({str(exc)[:300]})"
    return None


def _outside_window(created: Any, stamped_at: datetime, leaf: x509.Certificate) -> str | None:
    try:
        stated = datetime.fromisoformat(str(created))
    except ValueError:
        return "no creation time in ISO 8601 to compare with the timestamp"
    if abs(stamped_at - _utc(stated)) > WINDOW:
        return "the timestamp is more than 10 minutes from the stated creation time"
    if not leaf.not_valid_before_utc <= stamped_at <= leaf.not_valid_after_utc:
        return "the timestamp falls outside the domain certificate's validity"
    return None


def _untrusted(leaf, intermediates: list, domain: str, at: datetime, roots) -> str | None:
    from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

    if not roots.domain:
        return "no trusted domain roots are configured (CUSTOS_WACZ_DOMAIN_ROOTS)"
    policy = PolicyBuilder().store(Store(list(roots.domain))).time(at)
    try:
        verifier = policy.build_server_verifier(x509.DNSName(domain))
        verifier.verify(leaf, intermediates)
    except (VerificationError, ValueError) as exc:
        return f"the domain certificate does not chain to a trusted root ({str(exc)[:300]})"
    return None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
