"""Loads the operator's master secret at start-up; installs the field keyring and field sealer."""

from __future__ import annotations

import logging
import secrets

from flask import Flask

from app.crypto.age import Identity, Recipient
from app.security import org_keys
from app.security.encrypted_type import init_field_encryption, init_field_sealing
from app.security.field_crypto import FieldKeyring
from app.security.field_sealing import FieldSealer
from app.security.master_key import (
    MasterKeyError,
    generate_master_key_file,
    load_master_key,
    load_previous_master_keys,
)

log = logging.getLogger(__name__)


def init_field_encryption_from_config(app: Flask) -> None:
    """Master key from CUSTOS_MASTER_KEY or the key file; generated for the embedded default."""
    config = app.config
    key_file = config["CUSTOS_MASTER_KEY_FILE"]
    env_value = config.get("CUSTOS_MASTER_KEY")
    if config.get("TESTING") and not env_value and not key_file.exists():
        master = secrets.token_bytes(32)
    else:
        if not env_value and not key_file.exists():
            if config.get("ENV_NAME") != "development":
                raise MasterKeyError(
                    "No master key: set CUSTOS_MASTER_KEY or create the key file "
                    f"{key_file} (flask --app wsgi keys init-master)."
                )
            generate_master_key_file(key_file)
            log.warning("generated a new master key file at %s; back it up offline", key_file)
        master = load_master_key(env_value, key_file)
    previous = load_previous_master_keys(config["CUSTOS_PREVIOUS_MASTER_KEYS"])
    app.extensions["custos.master_key"] = master
    keyring = FieldKeyring(master, previous)
    init_field_encryption(app, keyring)
    init_field_sealing(app, FieldSealer(_current_recipient, identities_held, legacy=keyring))


def _current_recipient() -> Recipient:
    """New sealed values go where new evidence goes: the pinned recipient on an intake node,
    the newest identity's on a reading node (org_keys.org_recipients)."""
    return org_keys.org_recipients()[-1]


def identities_held() -> list[Identity]:
    """The organisation identities, or none on a node that does not hold them."""
    if org_keys.intake_only():
        return []
    try:
        return org_keys.org_identities()
    except org_keys.KeyStoreError:
        # No identity file on this node (or not sealed under its master key): it reads no
        # sealed field, and says so on the page rather than failing it.
        return []
