"""Cosigning over HTTP: the witness endpoint's logic and the log's client (format s.10.3).

The witness serves only the log keys it was configured with (CUSTOS_CUSTODY_WITNESS_LOG_KEYS,
deny by default); a request is authenticated by the log's minisign signature over the
checkpoint it carries, which `cosign` checks before anything else. The log posts the same
JSON request the file exchange uses and keeps the answer once it verifies.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from flask import current_app

from app.crypto.minisign import key_id_hex, parse_public_key
from app.custody.checkpoints import current_signing_key
from app.custody.cosign import cosign, read_request
from app.custody.verify_checkpoints import signature_key_id

MAX_REQUEST_BYTES = 64 * 1024  # a statement, its signature and a proof of at most ~64 nodes
ANSWER_TYPE = "application/json"
TIMEOUT_SECONDS = 30


class WitnessOff(LookupError):
    """This instance serves no log: the endpoint is off."""


class UnknownLog(PermissionError):
    """The request is signed by a key this witness does not serve."""


def served_log_keys() -> dict[str, str]:
    """The log keys this instance cosigns for, by key id."""
    keys = current_app.config.get("CUSTOS_CUSTODY_WITNESS_LOG_KEYS") or ()
    return {key_id_hex(parse_public_key(key)[0]): key for key in keys}


def serve_cosign(body: bytes) -> str:
    """The cosignature for a request POSTed to this witness; WitnessOff, UnknownLog or
    CosignRefused (nothing recorded) otherwise."""
    keys = served_log_keys()
    if not keys:
        raise WitnessOff("this instance is not a witness for any log")
    request = read_request(body)
    log_key = keys.get(signature_key_id(request["minisig"]) or "")
    if log_key is None:
        raise UnknownLog("the checkpoint is not signed by a log key this witness serves")
    return cosign(body, log_key, current_signing_key())


class WitnessAnswerError(RuntimeError):
    """The witness refused, or did not answer as a witness does; the message says which."""


def send_cosign_request(url: str, body: bytes) -> str:
    """POST a cosign request to a witness; the cosignature it answers (not yet checked)."""
    if not url.startswith(("https://", "http://")):
        raise WitnessAnswerError("the witness URL must start with https:// (or http://)")
    post = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, data=body, method="POST", headers={"Content-Type": ANSWER_TYPE}
    )
    try:
        with urllib.request.urlopen(post, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310  # nosec B310
            data = answer.read(MAX_REQUEST_BYTES)
    except urllib.error.HTTPError as exc:
        raise WitnessAnswerError(f"the witness refused ({exc.code}): {_message(exc)}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise WitnessAnswerError(f"the witness did not answer ({exc})") from None
    try:
        cosignature = json.loads(data)["cosignature"]
    except (ValueError, KeyError, TypeError):
        raise WitnessAnswerError("the witness's answer is not a cosignature") from None
    if not isinstance(cosignature, str):
        raise WitnessAnswerError("the witness's answer is not a cosignature")
    return cosignature


def _message(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read(MAX_REQUEST_BYTES))["error"]["message"])
    except (ValueError, KeyError, TypeError, OSError):
        return "no JSON error"
