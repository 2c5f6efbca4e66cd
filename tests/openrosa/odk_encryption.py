"""Encrypting a submission exactly as ODK Collect does (ODK XForms "Encryption"), for the tests.

Written from the specification and Enketo's encryptor, independently of app/openrosa/: a
fresh AES-256 key wrapped with RSA-OAEP (SHA-256; MGF1 with SHA-1 as Conscrypt and Enketo
do, or SHA-256 as Android's older BouncyCastle did), each media file then submission.xml
in AES-256-CFB with PKCS#5 padding under IVs derived from MD5(instanceID + key), and the
manifest's element signature over the files' plaintext MD5s.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms


@dataclass
class EncryptedSubmission:
    manifest: bytes
    files: list[tuple[str, bytes, str]]  # (name.enc, ciphertext, media type)


def _wrap(public_key, data: bytes, mgf_hash) -> str:
    sealed = public_key.encrypt(
        data,
        rsa_padding.OAEP(
            mgf=rsa_padding.MGF1(algorithm=mgf_hash), algorithm=hashes.SHA256(), label=None
        ),
    )
    return base64.b64encode(sealed).decode()


def _aes_cfb(key: bytes, iv: bytes, data: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    padded = padder.update(data) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), CFB(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def public_key_of(form_xml: bytes):
    """The key in the form's <submission base64RsaPublicKey=...>."""
    marker = b'base64RsaPublicKey="'
    start = form_xml.index(marker) + len(marker)
    der = base64.b64decode(form_xml[start : form_xml.index(b'"', start)])
    return serialization.load_der_public_key(der)


def version_of(form_xml: bytes) -> str:
    return form_xml.split(b'version="', 1)[1].split(b'"', 1)[0].decode()


def encrypt_for_form(form_id: str, form_xml: bytes, instance_id: str, xml: bytes, media, **kw):
    """Encrypt as Collect does for the form it downloaded: its key, its version, a fresh key."""
    return encrypt_submission(
        public_key_of(form_xml),
        form_id=form_id,
        version=version_of(form_xml),
        instance_id=instance_id,
        xml=xml,
        media=media,
        key=secrets.token_bytes(32),
        **kw,
    )


def encrypt_submission(
    public_key,
    *,
    form_id: str,
    version: str,
    instance_id: str,
    xml: bytes,
    media: list[tuple[str, bytes, str]],
    key: bytes,
    mgf_hash=None,
) -> EncryptedSubmission:
    mgf_hash = mgf_hash or hashes.SHA1()  # noqa: S303
    encrypted_key = _wrap(public_key, key, mgf_hash)
    seed = bytearray(hashlib.md5(instance_id.encode() + key).digest())  # noqa: S324
    counter = 0

    def next_iv() -> bytes:
        nonlocal counter
        seed[counter % 16] = (seed[counter % 16] + 1) % 256
        counter += 1
        return bytes(seed)

    files, lines = [], [form_id, version, encrypted_key, instance_id]
    for name, data, media_type in [*media, ("submission.xml", xml, "text/xml")]:
        files.append((f"{name}.enc", _aes_cfb(key, next_iv(), data), media_type))
        lines.append(f"{name}::{hashlib.md5(data).hexdigest()}")  # noqa: S324
    digest = hashlib.md5(("\n".join(lines) + "\n").encode()).digest()  # noqa: S324
    media_xml = "".join(f"<media><file>{name}.enc</file></media>" for name, _d, _t in media)
    manifest = (
        f'<data xmlns="http://opendatakit.org/submissions" encrypted="yes" id="{form_id}" '
        f'version="{version}"><base64EncryptedKey>{encrypted_key}</base64EncryptedKey>'
        f'<orx:meta xmlns:orx="http://openrosa.org/xforms"><orx:instanceID>{instance_id}'
        f"</orx:instanceID></orx:meta>{media_xml}"
        "<encryptedXmlFile>submission.xml.enc</encryptedXmlFile>"
        f"<base64EncryptedElementSignature>{_wrap(public_key, digest, mgf_hash)}"
        "</base64EncryptedElementSignature></data>"
    ).encode()
    return EncryptedSubmission(manifest, files)


def encrypt_to_a_stranger(form_id: str, form_xml: bytes, instance_id: str, xml: bytes):
    """As Collect would encrypt it had the form carried another key than the server's."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return encrypt_submission(
        other,
        form_id=form_id,
        version=version_of(form_xml),
        instance_id=instance_id,
        xml=xml,
        media=[],
        key=secrets.token_bytes(32),
    )
