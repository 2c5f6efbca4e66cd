"""The roots a WACZ domain signature is checked against (CUSTOS_WACZ_DOMAIN_ROOTS and
CUSTOS_WACZ_TIMESTAMP_ROOTS): read at each check, so a new list serves the next check, and
their SHA-256 kept with the verdict says which lists were used."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from flask import current_app


@dataclass(frozen=True)
class SignatureRoots:
    domain: tuple[x509.Certificate, ...] = ()
    timestamp: tuple[x509.Certificate, ...] = ()
    domain_sha256: str | None = None
    timestamp_sha256: str | None = None
    problem: str | None = None  # a configured file that cannot be read: checks say so

    def described(self) -> dict[str, str | None]:
        return {
            "domain_roots_sha256": self.domain_sha256,
            "tsa_roots_sha256": self.timestamp_sha256,
        }


def configured_roots() -> SignatureRoots:
    domain, domain_sha, problem = _read("CUSTOS_WACZ_DOMAIN_ROOTS")
    stamp, stamp_sha, stamp_problem = _read("CUSTOS_WACZ_TIMESTAMP_ROOTS")
    return SignatureRoots(domain, stamp, domain_sha, stamp_sha, problem or stamp_problem)


def _read(key: str) -> tuple[tuple[x509.Certificate, ...], str | None, str | None]:
    path = current_app.config.get(key)
    if not path:
        return (), None, None
    try:
        data = Path(path).read_bytes()
        roots = tuple(x509.load_pem_x509_certificates(data))
    except OSError as exc:
        return (), None, f"{key} {Path(path).name}: {exc.strerror}"
    except ValueError:
        return (), None, f"{key} {Path(path).name}: no PEM certificate in it"
    return roots, hashlib.sha256(data).hexdigest(), None
