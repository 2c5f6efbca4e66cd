"""The organisation's trust anchors: the C2PA roots, and the roots a SafetyNet attestation's
chain must lead to. Each is read from its configured PEM file at each check, so a new list is
used by the next check and its SHA-256 says which list was used."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import current_app


class TrustListUnreadable(Exception):
    """The configured trust list cannot be read: a check says so rather than guess."""


@dataclass(frozen=True)
class TrustList:
    pem: str  # empty when none is configured: every valid signer is then untrusted
    sha256: str | None


def configured_trust_list() -> TrustList:
    """CUSTOS_C2PA_TRUST_ANCHORS: the roots whose C2PA signers the organisation trusts."""
    return _read(current_app.config.get("CUSTOS_C2PA_TRUST_ANCHORS"))


def configured_attestation_roots() -> TrustList:
    """CUSTOS_SAFETYNET_ROOTS: the roots of SafetyNet's attest.android.com certificates."""
    return _read(current_app.config.get("CUSTOS_SAFETYNET_ROOTS"))


def _read(path: str | None) -> TrustList:
    if not path:
        return TrustList("", None)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise TrustListUnreadable(f"trust list {Path(path).name}: {exc.strerror}") from exc
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise TrustListUnreadable(f"trust list {Path(path).name}: no PEM certificate in it")
    return TrustList(data.decode("ascii", "replace"), hashlib.sha256(data).hexdigest())
