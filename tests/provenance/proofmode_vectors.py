"""ProofMode-shaped bundles made at run time: a phone's key generated with Debian's gpg,
detached signatures of the media and of the proof JSON/CSV, a synthetic OpenTimestamps file
and a SafetyNet-shaped JWS, zipped the way the app shares them."""

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


def safetynet_jws(sha256_hex: str) -> bytes:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    nonce = base64.b64encode(os.urandom(24) + sha256_hex.encode()).decode()
    return f"{part({'alg': 'RS256'})}.{part({'nonce': nonce})}.c2ln".encode()


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
    safetynet: bool = False,
    extra: dict[str, bytes] | None = None,
    leave_out: tuple[str, ...] = (),
) -> bytes:
    """A ProofMode bundle for `media` (a generated JPEG by default), signed by `phone` (or by
    `sign_with`, while pubkey.asc stays `phone`'s)."""
    media = media if media is not None else jpeg(scene(11))
    sha = hashlib.sha256(media).hexdigest()
    signer = sign_with or phone
    json_bytes = proof_json(sha)
    csv_bytes = b"File Hash SHA256,File Created\n" + sha.encode() + b",2016-04-27T10:15:00Z\n"
    members = {
        "IMG_1.jpg": media + (b"\x00" if tamper_media else b""),
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
    if safetynet:
        members[f"{sha}.gst"] = safetynet_jws(sha)
    members.update(extra or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            if not any(name.endswith(suffix) for suffix in leave_out):
                archive.writestr(name, data)
    return out.getvalue()
