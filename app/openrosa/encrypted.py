"""ODK encrypted submissions: the manifest, the file key, each file opened as it streams, the check.

ODK XForms, "Encryption" (https://getodk.github.io/xforms-spec/encryption), as ODK Collect
and Enketo do it:

- the phone draws a 256-bit AES key, encrypts it to the form's RSA key with
  "RSA/NONE/OAEPWithSHA256AndMGF1Padding" and sends it base64 in the manifest (the
  `xml_submission_file`) as `base64EncryptedKey`;
- each file is AES-256 in CFB mode (128-bit segments) with PKCS#5 padding, as
  `<name>.enc`: first the media files in the manifest's order, then `submission.xml.enc`.
  The IV of the n-th file (n = 1, 2, ...) is the MD5 of the instanceID's UTF-8 bytes followed
  by the key, with byte (i mod 16) incremented for each i < n (bytes wrap at 256);
- `base64EncryptedElementSignature` is the MD5 of the lines form id, version (when the form
  has one), base64EncryptedKey, instanceID, then `<name>::<md5 hex of its plaintext>` for
  each file in that order (names without `.enc`), each line ending in a newline, encrypted
  to the same RSA key.

CFB is kept by `cryptography` among its "decrepit" modes (no authentication of its own); ODK
prescribes it, and the manifest's MD5s are what detect a change.

Java's name leaves MGF1's hash to the provider: Android's older BouncyCastle uses SHA-256,
Conscrypt and Enketo SHA-1. Both are tried; OAEP tells them apart with certainty.

What the check proves: the files are those the phone encrypted under that key, whole and in
that order (a changed byte fails the padding or the MD5s). It is not a signature of the
device: anyone holding the public key can make one; the device credential says who sent it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from app.openrosa.submission_xml import (
    FILE_NAME,
    SubmissionRejected,
    child_element,
    child_text,
    instance_id_of,
    local_name,
)

ENCRYPTED_SUFFIX = ".enc"
KEY_BYTES = 32
BLOCK = 16
MAX_FILES = 200
UNOPENABLE = "The encrypted submission cannot be opened with this server's form key."
TAMPERED = "The encrypted submission's files do not match its manifest; nothing was stored."


@dataclass(frozen=True)
class Manifest:
    """What the phone sends in clear beside the encrypted files."""

    form_id: str
    version: str
    instance_id: str
    encrypted_key: str  # base64, as sent: it is a line of the signed text
    xml_file: str
    media: tuple[str, ...]
    signature: str

    @property
    def files(self) -> tuple[str, ...]:
        """Every encrypted file, in the order the phone encrypted them."""
        return (*self.media, self.xml_file)


def is_encrypted_manifest(root) -> bool:
    return root.get("encrypted", "").strip().lower() == "yes"


def plain_name(name: str) -> str:
    return name.removesuffix(ENCRYPTED_SUFFIX)


def read_manifest(root) -> Manifest:
    """The manifest's parts, each checked to be present and a plain `.enc` file name."""
    media = tuple(
        (f.text or "").strip()
        for m in root
        if local_name(m.tag) == "media"
        for f in m
        if local_name(f.tag) == "file"
    )
    manifest = Manifest(
        form_id=root.get("id", ""),
        version=root.get("version", ""),
        instance_id=instance_id_of(root),
        encrypted_key=child_text(root, "base64EncryptedKey"),
        xml_file=child_text(root, "encryptedXmlFile"),
        media=media,
        signature=child_text(root, "base64EncryptedElementSignature"),
    )
    names = manifest.files
    if (
        not manifest.encrypted_key
        or not manifest.signature
        or child_element(root, "encryptedXmlFile") is None
        or len(names) > MAX_FILES
        or len(set(names)) != len(names)
        or not all(FILE_NAME.match(n) and n.endswith(ENCRYPTED_SUFFIX) for n in names)
    ):
        raise SubmissionRejected("The encrypted submission's manifest is incomplete.")
    return manifest


def _oaep(mgf_hash: hashes.HashAlgorithm) -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(algorithm=mgf_hash), algorithm=hashes.SHA256(), label=None)


def rsa_open(private_key: rsa.RSAPrivateKey, encoded: str) -> bytes:
    """An RSA-OAEP (SHA-256) value the phone sealed, with either MGF1 hash; 400 otherwise."""
    try:
        sealed = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SubmissionRejected(UNOPENABLE) from None
    # SHA-1 here is only OAEP's mask generation (MGF1), as Android phones wrap the key.
    for mgf_hash in (hashes.SHA1(), hashes.SHA256()):  # noqa: S303  # nosec B303
        try:
            return private_key.decrypt(sealed, _oaep(mgf_hash))
        except ValueError:
            continue
    raise SubmissionRejected(UNOPENABLE)


def file_ivs(instance_id: str, key: bytes, count: int) -> list[bytes]:
    """The IV of each of `count` files, in the order they were encrypted."""
    seed = bytearray(hashlib.md5(instance_id.encode("utf-8") + key, usedforsecurity=False).digest())
    ivs = []
    for counter in range(count):
        seed[counter % BLOCK] = (seed[counter % BLOCK] + 1) % 256
        ivs.append(bytes(seed))
    return ivs


class FileOpener:
    """Decrypts one `.enc` file as its bytes arrive, holding back the last block (its padding).

    The MD5 of the plaintext is kept for the manifest's check; nothing is written anywhere
    but to the caller, who streams it into the vault's intake.
    """

    def __init__(self, key: bytes, iv: bytes) -> None:
        self._decryptor = Cipher(algorithms.AES(key), CFB(iv)).decryptor()
        self._held = b""
        self._length = 0
        self.md5 = hashlib.md5(usedforsecurity=False)  # ODK's format, compared as it prescribes

    def update(self, data: bytes) -> bytes:
        self._length += len(data)
        opened = self._held + self._decryptor.update(data)
        if len(opened) <= BLOCK:
            self._held = opened
            return b""
        self._held = opened[-BLOCK:]
        plain = opened[:-BLOCK]
        self.md5.update(plain)
        return plain

    def finish(self) -> bytes:
        """The last plaintext bytes, padding removed; SubmissionRejected if it is not PKCS#5."""
        last = self._held + self._decryptor.finalize()
        pad = last[-1] if last else 0
        if self._length % BLOCK or not 1 <= pad <= BLOCK or last[-pad:] != bytes([pad]) * pad:
            raise SubmissionRejected(TAMPERED)
        plain = last[:-pad]
        self.md5.update(plain)
        return plain


class Envelope:
    """One encrypted submission being opened: its key, an opener per file, the final check."""

    def __init__(self, manifest: Manifest, private_key: rsa.RSAPrivateKey) -> None:
        self.manifest = manifest
        self.key = rsa_open(private_key, manifest.encrypted_key)
        if len(self.key) != KEY_BYTES:
            raise SubmissionRejected(UNOPENABLE)
        self.expected = rsa_open(private_key, manifest.signature)
        ivs = file_ivs(manifest.instance_id, self.key, len(manifest.files))
        self.ivs = dict(zip(manifest.files, ivs, strict=True))
        self.openers: dict[str, FileOpener] = {}

    def opener(self, name: str) -> FileOpener:
        if name in self.openers:
            raise SubmissionRejected("The request carries the same encrypted file twice.")
        self.openers[name] = FileOpener(self.key, self.ivs[name])
        return self.openers[name]

    def missing(self) -> list[str]:
        return [name for name in self.manifest.files if name not in self.openers]

    def check(self) -> None:
        """Refuse (400) unless every file came and the MD5s are those the phone recorded."""
        if self.missing():
            raise SubmissionRejected(
                "An encrypted submission must bring all its files in one request."
            )
        manifest = self.manifest
        lines = [
            manifest.form_id,
            *([manifest.version] if manifest.version else []),
            manifest.encrypted_key,
            manifest.instance_id,
            *(f"{plain_name(n)}::{self.openers[n].md5.hexdigest()}" for n in manifest.files),
        ]
        signed = ("\n".join(lines) + "\n").encode("utf-8")
        digest = hashlib.md5(signed, usedforsecurity=False).digest()  # ODK's signature format
        if not hmac.compare_digest(digest, self.expected):
            raise SubmissionRejected(TAMPERED)
