"""Loads the operator's master secret at start-up and installs the field-encryption keyring."""

from __future__ import annotations

import logging
import secrets

from flask import Flask

from app.security.encrypted_type import init_field_encryption
from app.security.field_crypto import FieldKeyring
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
    init_field_encryption(app, FieldKeyring(master, previous))
