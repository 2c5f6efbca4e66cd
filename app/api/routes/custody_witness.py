"""POST /api/v1/custody/cosign: this instance as another log's cosigning witness (s.10.3).

No token and no session: the request authenticates itself, being a checkpoint signed by a
log key this instance was configured to serve (app/custody/cosign_http.py), so there is no
ambient credential for CSRF to abuse (app/api/auth.py lets this one endpoint through).
"""

from __future__ import annotations

from flask import current_app, jsonify, request

from app.api import bp
from app.api.errors import ApiError
from app.custody.checkpoints import SigningUnavailable
from app.custody.cosign import CosignMalformed, CosignRefused
from app.custody.cosign_http import (
    MAX_REQUEST_BYTES,
    UnknownLog,
    WitnessOff,
    serve_cosign,
    served_log_keys,
)
from app.extensions import limiter

# Most specific first: CosignMalformed is a CosignRefused.
_REFUSALS = (
    (WitnessOff, 404, "not_found"),
    (UnknownLog, 403, "log_key_not_served"),
    (CosignMalformed, 400, "bad_request"),
    (CosignRefused, 409, "cosign_refused"),
    (SigningUnavailable, 503, "unavailable"),
)


def cosign_rate_limit() -> str:
    return current_app.config["CUSTOS_CUSTODY_COSIGN_RATE_LIMIT"]


@bp.route("/custody/cosign", methods=["POST"])
@limiter.limit(cosign_rate_limit)
def custody_cosign():
    if not served_log_keys():  # off: the same answer as an address that does not exist
        raise ApiError(404, "not_found", "Not found.")
    if (request.content_length or 0) > MAX_REQUEST_BYTES:
        raise ApiError(413, "too_large", "A cosign request is at most 64 KiB.")
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send the request as application/json.")
    try:
        return jsonify(cosignature=serve_cosign(request.get_data(cache=False)))
    except tuple(kind for kind, _status, _code in _REFUSALS) as exc:
        status, code = next((s, c) for kind, s, c in _REFUSALS if isinstance(exc, kind))
        raise ApiError(status, code, str(exc)) from None
