"""The RSA key phones encrypt OpenRosa submissions to (ODK encrypted forms), sealed like org keys.

ODK XForms, "Encryption" (https://getodk.github.io/xforms-spec/encryption): a form whose
`<submission>` carries `base64RsaPublicKey` is encrypted by the phone when it is finalized;
the phone keeps only the encrypted files. Custos makes one 2048-bit RSA key per reading node
(the size ODK Central uses), on first use, in the keys folder beside the organisation's keys
and sealed under the same master secret (app/security/org_keys.py).

An intake-only node holds no private key: it publishes the reading node's public form key,
copied into its keys folder as `openrosa-form-key.pub` (`flask keys form-key` on the reading
node writes it and prints its pin) and used only when its fingerprint is the one pinned in
CUSTOS_OPENROSA_FORM_KEY_FINGERPRINT, as the organisation recipient is pinned
(app/security/recipient_pin.py): a key planted in the folder is never published. What comes
back is kept sealed for the reading node (app/openrosa/sealed_keeping.py). Without a pin the
intake node publishes its forms unencrypted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, current_app

from app.security.org_keys import (
    KeyStoreError,
    intake_only,
    keys_dir,
    publish_public_file,
    read_public_file,
    sealed_node_key,
)
from app.security.recipient_pin import FINGERPRINT_PREFIX, RecipientPinError, normalise_pin

FORM_KEY_FILE = "openrosa-form-key.enc"
FORM_PUBLIC_FILE = "openrosa-form-key.pub"
PIN_SETTING = "CUSTOS_OPENROSA_FORM_KEY_FINGERPRINT"
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


def _public_der(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def form_key_fingerprint(der: bytes) -> str:
    """SHA256:<hex> of the public key's DER SubjectPublicKeyInfo (what forms carry, decoded)."""
    return FINGERPRINT_PREFIX + hashlib.sha256(der).hexdigest()


def export_form_public_key() -> str:
    """On the reading node: write openrosa-form-key.pub (PEM) beside its keys; the pin."""
    public = form_private_key().public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    publish_public_file(FORM_PUBLIC_FILE, pem)
    return form_key_fingerprint(_public_der(public))


def configured_form_key_pin() -> str | None:
    raw = (current_app.config.get(PIN_SETTING) or "").strip()
    if not raw:
        return None
    try:
        return normalise_pin(raw)
    except RecipientPinError:
        raise KeyStoreError(
            f"{PIN_SETTING} must be SHA256: followed by 64 hex digits, as `flask keys form-key` "
            "prints it on the reading node"
        ) from None


def pinned_public_der() -> bytes:
    """On an intake node: the copied public form key, refused unless it has the pinned print."""
    pin = configured_form_key_pin()
    if pin is None:
        raise KeyStoreError(f"{PIN_SETTING} is not set")
    path = keys_dir() / FORM_PUBLIC_FILE
    if not path.exists():
        raise KeyStoreError(
            f"no {FORM_PUBLIC_FILE} in {path.parent}: copy it from the reading node "
            "(`flask keys form-key` writes it there)"
        )
    try:
        key = serialization.load_pem_public_key(read_public_file(path).encode("ascii"))
    except ValueError as exc:
        raise KeyStoreError(f"{FORM_PUBLIC_FILE} in {path.parent} is damaged: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < RSA_BITS:
        raise KeyStoreError(f"{FORM_PUBLIC_FILE} does not hold an RSA key of {RSA_BITS} bits")
    der = _public_der(key)
    if not hmac.compare_digest(form_key_fingerprint(der), pin):
        raise KeyStoreError(
            f"{FORM_PUBLIC_FILE} in {path.parent} does not match {PIN_SETTING} ({pin}): copy it "
            "again from the reading node, or correct the pin"
        )
    return der


def check_form_key_at_start(app: Flask) -> None:
    """An intake node told to publish the reading node's form key starts only with that key."""
    with app.app_context():
        if intake_only() and configured_form_key_pin() is not None:
            pinned_public_der()


def encrypted_forms_enabled() -> bool:
    return bool(current_app.config["CUSTOS_OPENROSA_ENCRYPTED_FORMS"])


def keeps_sealed() -> bool:
    """An intake node that publishes the reading node's key keeps what comes back sealed."""
    return intake_only() and configured_form_key_pin() is not None


def form_public_key() -> str | None:
    """The base64 DER SubjectPublicKeyInfo forms carry, or None to publish them unencrypted.

    KeyStoreError on an intake node whose pinned public key is missing or not the pinned one:
    it must not fall back to unencrypted forms the operator asked to be encrypted.
    """
    if not encrypted_forms_enabled():
        return None
    if intake_only():
        if configured_form_key_pin() is None:
            return None
        return base64.b64encode(pinned_public_der()).decode("ascii")
    try:
        key = form_private_key()
    except KeyStoreError as exc:
        # Forms still work unencrypted (over HTTPS); the operator is told why in the log.
        log.warning("OpenRosa forms are published unencrypted: %s", exc)
        return None
    return base64.b64encode(_public_der(key.public_key())).decode("ascii")
