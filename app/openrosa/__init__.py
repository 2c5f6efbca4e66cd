"""OpenRosa for phone apps (Tella, ODK Collect, KoboCollect): devices, forms, submissions."""

from flask import Blueprint

from app.openrosa.responses import add_openrosa_headers

bp = Blueprint("openrosa", __name__)
bp.after_request(add_openrosa_headers)  # on every answer, refusals of the auth hook included

from app.openrosa import (  # noqa: E402,F401  (the views; sealed files for `keys reencrypt`)
    routes,
    sealed_reencryption,
)
