"""ProofMode-shaped bundles made at run time: a phone's key generated with Debian's gpg,
detached signatures of the media and of the proof JSON/CSV, a synthetic OpenTimestamps file
and a SafetyNet JWS (signed under a local attestation CA made with `cryptography`, standing in
for Google's), zipped the way the app shares them."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.duplicates.support import jpeg, scene
from tests.helpers.media import require_tool

OTS_MAGIC = b"\x00OpenTimestamps\x00\x00Proof\x00\xbf\x89\xe2\xe8\x84\xe8\x92\x94"


@dataclass
class Phone:
    """A field researcher's phone: its own OpenPGP key, in its own GnuPG home."""

    home: str
    fingerprint: str
    public_key: str

    def gpg(self, *args: str, data: bytes = b"") -> bytes:
        command = ["gpg", "--homedir", self.home, "--batch", "--no-tty", *args]
        return subprocess.run(command, input=data, capture_output=True, check=True).stdout

    def sign(self, data: bytes) -> bytes:
        return self.gpg("--armor", "--detach-sign", data=data)

    def close(self) -> None:
        subprocess.run(["gpgconf", "--homedir", self.home, "--kill", "all"], check=False)
        shutil.rmtree(self.home, ignore_errors=True)


def make_phone(email: str = "phone@example.org") -> Phone:
    """A new ed25519 signing key without a passphrase, as ProofMode makes on first start."""
    require_tool("gpg")
    phone = Phone(tempfile.mkdtemp(prefix="custos-test-phone-"), "", "")
    phone.gpg("--passphrase", "", "--quick-gen-key", email, "ed25519", "sign", "never")
    listing = phone.gpg("--with-colons", "--list-keys").decode()
    phone.fingerprint = next(
        line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")
    )
    phone.public_key = phone.gpg("--armor", "--export", phone.fingerprint).decode()
    return phone


def ots_file(sha256_hex: str, height: int | None = 800000) -> bytes:
    """An OpenTimestamps proof of the digest: attested at a Bitcoin block, or pending."""
    body = OTS_MAGIC + bytes([1, 0x08]) + bytes.fromhex(sha256_hex)
    if height is None:
        uri = b"https://calendar.example"
        attestation = bytes.fromhex("83dfe30d2ef90c8e") + bytes([len(uri) + 1, len(uri)]) + uri
    else:
        encoded = _varuint(height)
        attestation = bytes.fromhex("0588960d73d71901") + bytes([len(encoded)]) + encoded
    return body + b"\x00" + attestation


def _varuint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _part(value: dict) -> str:
    return _b64url(json.dumps(value).encode())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def safetynet_jws(sha256_hex: str) -> bytes:
    """A JWS without a certificate chain: its nonce is all that can be checked."""
    nonce = base64.b64encode(os.urandom(24) + sha256_hex.encode()).decode()
    return f"{_part({'alg': 'RS256'})}.{_part({'nonce': nonce})}.c2ln".encode()


@dataclass(frozen=True)
class AttestationAuthority:
    """A root, an intermediate and an RSA leaf issued to `host`, as Google's attestation
    service has (GTS roots, attest.android.com)."""

    root_pem: str
    chain_der: tuple[bytes, ...]  # leaf, intermediate
    leaf_key: rsa.RSAPrivateKey
    valid_from: datetime


def _ca(subject: str, key, issuer_name, issuer_key, start: datetime, path_length: int | None):
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
        .sign(issuer_key, hashes.SHA256())
    )


def make_attestation_authority(
    host: str = "attest.android.com", valid_from: datetime | None = None, days: int = 90
) -> AttestationAuthority:
    """A local stand-in for Google's attestation PKI; the leaf is valid `days` from
    `valid_from` (yesterday by default)."""
    start = valid_from or datetime.now(UTC) - timedelta(days=1)
    root_key, middle_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Attestation Root")])
    root = _ca("Test Attestation Root", root_key, root_name, root_key, start, None)
    middle = _ca("Test Attestation CA", middle_key, root.subject, root_key, start, 0)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(middle.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(middle_key.public_key()), False
        )
        .sign(middle_key, hashes.SHA256())
    )
    der = serialization.Encoding.DER
    return AttestationAuthority(
        root.public_bytes(serialization.Encoding.PEM).decode(),
        (leaf.public_bytes(der), middle.public_bytes(der)),
        leaf_key,
        start,
    )


def signed_safetynet_jws(
    sha256_hex: str, authority: AttestationAuthority, at: datetime | None = None, **claims
) -> bytes:
    """A SafetyNet attestation of the media, signed RS256 by the authority's leaf, made `at`
    (now by default); `claims` override the payload's fields."""
    stamp = at or datetime.now(UTC)
    payload = {
        "nonce": base64.b64encode(os.urandom(24) + sha256_hex.encode()).decode(),
        "timestampMs": int(stamp.timestamp() * 1000),
        "apkPackageName": "org.witness.proofmode",
        "ctsProfileMatch": True,
        "basicIntegrity": True,
        **claims,
    }
    header = {"alg": "RS256", "x5c": [base64.b64encode(c).decode() for c in authority.chain_der]}
    signed = f"{_part(header)}.{_part(payload)}"
    signature = authority.leaf_key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signed}.{_b64url(signature)}".encode()


def media_sha256(media: bytes | None = None) -> str:
    """The SHA-256 `bundle` names for `media` (its default picture when None)."""
    return hashlib.sha256(media if media is not None else jpeg(scene(11))).hexdigest()


def proof_json(sha: str) -> bytes:
    return json.dumps(
        {
            "File Hash SHA256": sha,
            "File Path": "/storage/emulated/0/DCIM/Camera/IMG_1.jpg",
            "File Created": "2016-04-27T10:15:00Z",
            "Proof Generated": "2016-04-27T10:15:02Z",
            "Location.Latitude": "36.2021",
            "Location.Longitude": "37.1343",
            "Location.Accuracy": "12",
        }
    ).encode()


def bundle(
    phone: Phone,
    media: bytes | None = None,
    *,
    sign_with: Phone | None = None,
    tamper_media: bool = False,
    tamper_json: bool = False,
    ots_height: int | None | bool = False,
    safetynet: bool | AttestationAuthority = False,
    extra: dict[str, bytes] | None = None,
    leave_out: tuple[str, ...] = (),
    media_name: str = "IMG_1.jpg",
) -> bytes:
    """A ProofMode bundle for `media` (a generated JPEG by default), signed by `phone` (or by
    `sign_with`, while pubkey.asc stays `phone`'s)."""
    media = media if media is not None else jpeg(scene(11))
    sha = hashlib.sha256(media).hexdigest()
    signer = sign_with or phone
    json_bytes = proof_json(sha)
    csv_bytes = b"File Hash SHA256,File Created\n" + sha.encode() + b",2016-04-27T10:15:00Z\n"
    members = {
        media_name: media + (b"\x00" if tamper_media else b""),
        f"{sha}.asc": signer.sign(media),
        f"{sha}.proof.json": json_bytes.replace(b"36.2021", b"36.9999")
        if tamper_json
        else json_bytes,
        f"{sha}.proof.json.asc": signer.sign(json_bytes),
        f"{sha}.proof.csv": csv_bytes,
        f"{sha}.proof.csv.asc": signer.sign(csv_bytes),
        "pubkey.asc": phone.public_key.encode(),
    }
    if ots_height is not False:
        members[f"{sha}.ots"] = ots_file(sha, ots_height)
    if isinstance(safetynet, AttestationAuthority):
        members[f"{sha}.gst"] = signed_safetynet_jws(sha, safetynet)
    elif safetynet:
        members[f"{sha}.gst"] = safetynet_jws(sha)
    members.update(extra or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            if not any(name.endswith(suffix) for suffix in leave_out):
                archive.writestr(name, data)
    return out.getvalue()
