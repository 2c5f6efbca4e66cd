"""The RSA key phones encrypt OpenRosa submissions to (ODK encrypted forms), sealed like org keys.

ODK XForms, "Encryption" (https://getodk.github.io/xforms-spec/encryption): a form whose
`<submission>` carries `base64RsaPublicKey` is encrypted by the phone when it is finalized;
the phone keeps only the encrypted files. Custos makes one 2048-bit RSA key per node (the
size ODK Central uses), on first use, in the keys folder beside the organisation's keys and
sealed under the same master secret (app/security/org_keys.py). An intake-only node holds no
such key: it publishes its forms unencrypted (it could not open what would come back).
"""

from __future__ import annotations

import base64
import logging

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import current_app

from app.security.org_keys import KeyStoreError, intake_only, sealed_node_key

FORM_KEY_FILE = "openrosa-form-key.enc"
RSA_BITS = 2048

log = logging.getLogger(__name__)


def _generate() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load(der: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyStoreError(f"{FORM_KEY_FILE} does not hold an RSA key")
    return key


def form_private_key() -> rsa.RSAPrivateKey:
    """The key that opens encrypted submissions; ReadsDisabled on an intake-only node."""
    return sealed_node_key(FORM_KEY_FILE, _generate, _load)


def encrypted_forms_enabled() -> bool:
    return not intake_only() and bool(current_app.config["CUSTOS_OPENROSA_ENCRYPTED_FORMS"])


def form_public_key() -> str | None:
    """The base64 DER SubjectPublicKeyInfo forms carry, or None to publish them unencrypted."""
    if not encrypted_forms_enabled():
        return None
    try:
        key = form_private_key()
    except KeyStoreError as exc:
        # Forms still work unencrypted (over HTTPS); the operator is told why in the log.
        log.warning("OpenRosa forms are published unencrypted: %s", exc)
        return None
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")
