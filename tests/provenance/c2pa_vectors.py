"""C2PA test vectors made at run time: a test CA and signer from `cryptography`, a JPEG from
Pillow, signed with the SDK's Builder (trusted, untrusted signer, one byte flipped, none)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.duplicates.support import jpeg, scene


@dataclass(frozen=True)
class Authority:
    root_pem: str
    chain_pem: str  # leaf then root, as the signer sends it
    key_pem: str
    leaf_serial: int


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Custos Test Camera Co"),
        ]
    )


def make_authority(label: str = "Test Root", ocsp_url: str | None = None) -> Authority:
    """A P-256 root and a leaf fit to sign C2PA claims (digitalSignature, emailProtection),
    naming an OCSP responder if given."""
    now = datetime.now(UTC) - timedelta(days=1)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(_name(label))
        .issuer_name(_name(label))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    serial = x509.random_serial_number()
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{label} Signer"))
        .issuer_name(root.subject)
        .public_key(leaf_key.public_key())
        .serial_number(serial)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=10))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
    )
    if ocsp_url:
        access = x509.AccessDescription(
            x509.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
        )
        leaf = leaf.add_extension(x509.AuthorityInformationAccess([access]), False)
    leaf = leaf.sign(root_key, hashes.SHA256())
    pem = serialization.Encoding.PEM
    return Authority(
        root_pem=root.public_bytes(pem).decode(),
        chain_pem=(leaf.public_bytes(pem) + root.public_bytes(pem)).decode(),
        key_pem=leaf_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        leaf_serial=serial,
    )


MANIFEST = {
    "claim_generator_info": [{"name": "custos-tests", "version": "1"}],
    "title": "scene.jpg",
    "format": "image/jpeg",
    "assertions": [
        {
            "label": "c2pa.actions",
            "data": {
                "actions": [
                    {
                        "action": "c2pa.created",
                        "when": "2016-04-27T10:15:00Z",
                        "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
                    }
                ]
            },
        },
    ],
}


EXIF_CLAIMS = {
    "label": "stds.exif",
    "data": {
        "@context": {"exif": "http://ns.adobe.com/exif/1.0/"},
        "exif:GPSLatitude": "36,12.125N",
        "exif:GPSLongitude": "37,8.058E",
        "exif:DateTimeOriginal": "2016:04:27 10:15:00",
    },
}


def signed_jpeg(
    authority: Authority,
    seed: int = 3,
    manifest: dict | None = None,
    ingredient: bytes | None = None,
) -> bytes:
    """A JPEG of `scene(seed)` signed by `authority`'s leaf; with `ingredient`, a JPEG it
    was made from (a "parentOf" ingredient named parent.jpg)."""
    import c2pa

    info = c2pa.C2paSignerInfo(
        b"es256", authority.chain_pem.encode(), authority.key_pem.encode(), None
    )
    source, out = io.BytesIO(jpeg(scene(seed))), io.BytesIO()
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(json.dumps(manifest or MANIFEST)) as b:
        if ingredient is not None:
            parent = {"title": "parent.jpg", "relationship": "parentOf"}
            b.add_ingredient(parent, "image/jpeg", io.BytesIO(ingredient))
        b.sign(signer, "image/jpeg", source, out)
    return out.getvalue()


def flip_image_byte(data: bytes) -> bytes:
    """One byte of the compressed picture changed (after the last JUMBF box): the hard
    binding no longer matches."""
    position = len(data) - 200
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]
