"""Evidence vault: blob stores, streaming intake, media metadata and derivatives."""

from flask import Blueprint

# The route modules are imported by app/vault/routes/ when the app registers the blueprint, not
# here: importing the vault's storage (keys, custody, tools) must not pull in the whole web layer.
bp = Blueprint("vault", __name__)
