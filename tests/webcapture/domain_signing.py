"""WACZ domain signatures made at run time, offline, the way authsign makes them: a local CA
issues a certificate for the signing domain (the Web PKI profile: SAN, serverAuth), the
package hash is signed with its ECDSA key, and the base64 signature is stamped by a local
RFC 3161 TSA on 127.0.0.1 (tests/helpers/tsa.py: the real `openssl ts -reply`)."""

from __future__ import annotations

import base64
import datetime
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

from tests.helpers.tsa import LocalTSA

DOMAIN = "archive.example.org"
NOW = datetime.datetime.now(datetime.UTC)
PEM = serialization.Encoding.PEM


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@dataclass
class DomainCA:
    """A root CA and a certificate for `DOMAIN` issued by it, with its private key."""

    root: x509.Certificate
    leaf: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def root_pem(self) -> bytes:
        return self.root.public_bytes(PEM)


def _root(name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A self-signed root CA (a year and a month around now) and its key."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=30))
        .not_valid_after(NOW + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    return root, root_key


def make_domain_ca(
    name: str = "Custos test domain root",
    domain: str = DOMAIN,
    valid: tuple[datetime.timedelta, datetime.timedelta] | None = None,
) -> DomainCA:
    """`valid`: the leaf's (not before, not after) relative to now; default a week around it."""
    root, root_key = _root(name)
    root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
    before, after = valid or (-datetime.timedelta(days=1), datetime.timedelta(days=6))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(domain))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + before)
        .not_valid_after(NOW + after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    return DomainCA(root, leaf, key)


def stamp(tsa: LocalTSA, message: bytes) -> bytes:
    """The TSA's reply (TimeStampResp, DER) for `message`, asked over HTTP on loopback."""
    query = (
        TimestampRequestBuilder()
        .data(message)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    request = urllib.request.Request(  # noqa: S310 (the local TSA's http:// on loopback)
        tsa.url,
        data=query.as_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310 (loopback)
        return reply.read()


def domain_signer(ca: DomainCA, tsa: LocalTSA, created: datetime.datetime | None = None, **lie):
    """signedData as authsign makes it; `lie` replaces fields after signing (tampering)."""

    def sign(package_hash: str) -> dict:
        der = ca.key.sign(package_hash.encode(), ec.ECDSA(hashes.SHA256()))
        signature = base64.b64encode(der).decode()
        signed = {
            "hash": package_hash,
            "created": (created or datetime.datetime.now(datetime.UTC)).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            "software": "authsign 0.5.1",
            "version": "0.1.0",
            "signature": signature,
            "domain": DOMAIN,
            "domainCert": ca.leaf.public_bytes(PEM).decode(),
            "timeSignature": base64.b64encode(stamp(tsa, signature.encode())).decode(),
            "timestampCert": Path(tsa.directory / "tsa.pem").read_text(),
        }
        return {**signed, **lie}

    return sign


def cross_signed(ca: DomainCA, domain: str = DOMAIN, key=None) -> tuple[x509.Certificate, str]:
    """A second, private root and a certificate it issues for `ca`'s key (or `key`) as
    authsign's cross-signing CA does: the domain as common name, no extensions. Returns the
    root and the certificate's PEM (the `crossSignedCert` field)."""
    root, root_key = _root("Custos test cross-signing root")
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(domain))
        .issuer_name(root.subject)
        .public_key((key or ca.key).public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=6))
        .sign(root_key, hashes.SHA256())
    )
    return root, certificate.public_bytes(PEM).decode()
