"""An RFC 3161 token's own signature checked with a given certificate's key (CMS, RFC 5652
§5.4): the signed attributes' messageDigest against the token's content, then the signature."""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

_DIGESTS = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
# Signature algorithms that name their hash; the bare key types take the digestAlgorithm's.
_SIGNED_WITH = {
    "1.2.840.10045.4.3.2": "sha256",
    "1.2.840.10045.4.3.3": "sha384",
    "1.2.840.10045.4.3.4": "sha512",
    "1.2.840.113549.1.1.5": "sha1",
    "1.2.840.113549.1.1.11": "sha256",
    "1.2.840.113549.1.1.12": "sha384",
    "1.2.840.113549.1.1.13": "sha512",
}
_BARE_KEYS = ("1.2.840.10045.2.1", "1.2.840.113549.1.1.1")  # id-ecPublicKey, rsaEncryption
_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
_HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384}
_HASHES["sha512"] = hashes.SHA512


class TokenSignatureError(Exception):
    """The token's signature does not hold (the message says what)."""


class _Malformed(Exception):
    pass


def check_token_signature(token: bytes, certificate: x509.Certificate) -> str | None:
    """None when the token's signature verifies with `certificate`'s key; a reason when its
    algorithm is one this check does not know (the chain check still runs). Raises
    TokenSignatureError when the signature or its messageDigest does not hold."""
    try:
        content, signer = _signed_data(token)
        parts = _signer_parts(signer)
        digest_name = _DIGESTS.get(parts["digest_oid"])
        hash_name = _SIGNED_WITH.get(parts["signature_oid"])
        if hash_name is None and parts["signature_oid"] in _BARE_KEYS:
            hash_name = digest_name
        if digest_name is None or hash_name is None:
            return "the timestamp's signature algorithm is not one Custos checks itself"
        signed = content
        if parts["attributes"] is not None:
            stated = _message_digest(parts["attributes"])
            signed = b"\x31" + parts["attributes"][1:]  # [0] IMPLICIT SET, signed as a SET
    except (_Malformed, IndexError, ValueError):
        raise TokenSignatureError("the timestamp token's structure is unreadable") from None
    if parts["attributes"] is not None and stated != hashlib.new(digest_name, content).digest():
        raise TokenSignatureError("the timestamp's content is not the content it signed")
    _verify(certificate.public_key(), parts["signature"], signed, _HASHES[hash_name]())
    return None


def _verify(key: Any, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm) -> None:
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        else:
            raise TokenSignatureError("the timestamp certificate's key is neither ECDSA nor RSA")
    except (InvalidSignature, ValueError):
        raise TokenSignatureError(
            "the timestamp's signature does not verify with the first certificate of timestampCert"
        ) from None


def _signed_data(token: bytes) -> tuple[bytes, bytes]:
    """(the encapsulated TSTInfo, the one SignerInfo) of a ContentInfo holding SignedData."""
    content_info = _elements(_value(token, 0x30))
    signed_data = _elements(_value(_elements(_value(content_info[1], 0xA0))[0], 0x30))
    encapsulated = _elements(_value(signed_data[2], 0x30))
    content = _value(_elements(_value(encapsulated[1], 0xA0))[0], 0x04)  # primitive in DER
    signer_infos = _elements(_value(signed_data[-1], 0x31))
    if len(signer_infos) != 1:
        raise _Malformed
    return content, signer_infos[0]


def _signer_parts(signer: bytes) -> dict[str, Any]:
    fields = _elements(_value(signer, 0x30))
    attributes = fields[3] if fields[3][0] == 0xA0 else None
    rest = fields[4:] if attributes is not None else fields[3:]
    return {
        "digest_oid": _oid(_elements(_value(fields[2], 0x30))[0]),
        "attributes": attributes,
        "signature_oid": _oid(_elements(_value(rest[0], 0x30))[0]),
        "signature": _value(rest[1], 0x04),
    }


def _message_digest(attributes: bytes) -> bytes | None:
    for attribute in _elements(_value(attributes, 0xA0)):
        kind, values = _elements(_value(attribute, 0x30))[:2]
        if _oid(kind) == _MESSAGE_DIGEST:
            return _value(_elements(_value(values, 0x31))[0], 0x04)
    return None


def _read(data: bytes, at: int) -> tuple[int, int, int]:
    """(tag, where the value starts, where it ends) of the element at `at` (definite DER)."""
    tag, length = data[at], data[at + 1]
    start = at + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4:
            raise _Malformed
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    if start + length > len(data):
        raise _Malformed
    return tag, start, start + length


def _value(element: bytes, tag: int) -> bytes:
    """The value of `element`, which must be exactly one element of `tag`."""
    found, start, end = _read(element, 0)
    if found != tag or end != len(element):
        raise _Malformed
    return element[start:end]


def _elements(value: bytes) -> list[bytes]:
    """The whole elements, one after another, that make up a constructed value."""
    found, at = [], 0
    while at < len(value):
        _, _, end = _read(value, at)
        found.append(value[at:end])
        at = end
    return found


def _oid(element: bytes) -> str:
    value = _value(element, 0x06)
    top = min(value[0] // 40, 2)
    numbers, current = [str(top), str(value[0] - 40 * top)], 0
    for byte in value[1:]:
        current = (current << 7) | (byte & 0x7F)
        if not byte & 0x80:
            numbers.append(str(current))
            current = 0
    return ".".join(numbers)
