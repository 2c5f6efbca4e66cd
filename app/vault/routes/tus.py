"""tus 1.0 endpoints (core + creation + termination + expiration) for resumable evidence uploads.

POST    /investigations/<reference>/uploads  create: Upload-Length, Upload-Metadata (filename,
                                             facts, incident: {incident_id, shows, incident_note})
HEAD    /uploads/<upload_id>                 Upload-Offset, Upload-Length (GET: the same as JSON)
PATCH   /uploads/<upload_id>                 append at Upload-Offset (offset+octet-stream body)
DELETE  /uploads/<upload_id>                 discard an unfinished upload
OPTIONS on either                            Tus-Version, Tus-Extension, Tus-Max-Size

Every request needs a session of a member of the upload's investigation (404 otherwise, as
for all investigation content), and an upload URL answers its uploader alone (404 for other
members: custody records who submitted what, so nobody may append to another's upload).
State-changing requests carry the CSRF token in the X-CSRFToken header (Flask-WTF checks it
before the view runs).
"""

from __future__ import annotations

import base64
import binascii
import json

from flask import abort, jsonify, make_response, request, url_for
from flask_login import current_user
from werkzeug.http import http_date

from app.investigations.access import get_or_404, investigation_by_reference_or_404
from app.security.rate_limits import tus_create_limit, tus_patch_limit
from app.vault import bp
from app.vault.incident_links import upload_link
from app.vault.models import UploadSession
from app.vault.tus.sessions import (
    TUS_EXTENSIONS,
    TUS_VERSION,
    AppendResult,
    UploadProblem,
    append_to_upload,
    create_upload,
    delete_upload,
    upload_status,
)
from app.vault.upload.checks import max_upload_bytes
from app.vault.upload.refusals import IntakeRefused

OFFSET_CONTENT_TYPE = "application/offset+octet-stream"


def _tus_headers(response, extra: dict | None = None):
    response.headers["Tus-Resumable"] = TUS_VERSION
    response.headers["Cache-Control"] = "no-store"
    for name, value in (extra or {}).items():
        response.headers[name] = value
    return response


def _problem(status: int, code: str, message: str, extra: dict | None = None):
    response = jsonify(error={"code": code, "message": message})
    response.status_code = status
    return _tus_headers(response, extra)


def _empty(status: int, extra: dict | None = None):
    return _tus_headers(make_response("", status), extra)


def _options():
    return _empty(
        204,
        {
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": TUS_EXTENSIONS,
            "Tus-Max-Size": str(max_upload_bytes()),
        },
    )


def _version_problem():
    """tus core: a request without our protocol version is refused with 412."""
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        return _problem(
            412,
            "unsupported_version",
            f"This server speaks tus {TUS_VERSION}; send Tus-Resumable: {TUS_VERSION}.",
            {"Tus-Version": TUS_VERSION},
        )
    return None


def _non_negative_header(name: str) -> int | None:
    raw = request.headers.get(name)
    # isascii: str.isdigit() also accepts "²" and other digits that int() refuses.
    if raw is None or not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw)


def _parse_metadata(raw: str) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64(value)` pairs (tus creation extension)."""
    values: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in raw.split(","))):
        key, _, encoded = pair.partition(" ")
        try:
            values[key] = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise UploadProblem(
                400, "bad_metadata", "Upload-Metadata values must be base64-encoded UTF-8."
            ) from None
    return values


METADATA_NOT_JSON = "The facts and incident metadata must be JSON objects."


def _incident_fields(metadata: dict[str, str]) -> dict[str, str]:
    """The `incident` metadata: a JSON object of the upload form's incident fields."""
    fields = json.loads(metadata["incident"]) if metadata.get("incident") else {}
    if not isinstance(fields, dict):
        raise json.JSONDecodeError("the incident metadata is not an object", "", 0)
    return fields


def _progress_headers(result: AppendResult) -> dict:
    headers = {
        "Upload-Offset": str(result.offset),
        "Upload-Length": str(result.length),
        "Upload-Expires": http_date(result.expires_at),
    }
    if result.evidence is not None:
        headers["Custos-Evidence-Id"] = result.evidence.id
    return headers


@bp.route("/investigations/<reference>/uploads", methods=["POST", "OPTIONS"])
@tus_create_limit
def tus_create(reference: str):
    investigation = investigation_by_reference_or_404(reference, current_user)
    if request.method == "OPTIONS":
        return _options()
    problem = _version_problem()
    if problem is not None:
        return problem
    length = _non_negative_header("Upload-Length")
    if length is None:
        return _problem(400, "bad_length", "Upload-Length (a number of bytes) is required.")
    try:
        metadata = _parse_metadata(request.headers.get("Upload-Metadata", ""))
        facts = json.loads(metadata["facts"]) if metadata.get("facts") else None
        link = upload_link(investigation, current_user, _incident_fields(metadata))
        session = create_upload(
            investigation, current_user, metadata.get("filename", ""), facts, length, link
        )
    except json.JSONDecodeError:
        return _problem(400, "bad_metadata", METADATA_NOT_JSON)
    except UploadProblem as exc:
        return _problem(exc.status, exc.code, exc.message)
    except IntakeRefused as refusal:
        return _problem(refusal.status, refusal.code, refusal.message)
    location = url_for("vault.tus_upload", upload_id=session.id)
    return _empty(201, {"Location": location, "Upload-Expires": http_date(session.expires_at)})


@bp.route("/uploads/<upload_id>", methods=["GET", "HEAD", "PATCH", "DELETE", "OPTIONS"])
@tus_patch_limit
def tus_upload(upload_id: str):
    session = get_or_404(UploadSession, upload_id, current_user)
    if session.user_id != current_user.id:
        abort(404)  # an upload is its uploader's alone, as if it did not exist for others
    if request.method == "OPTIONS":
        return _options()
    try:
        if request.method in ("GET", "HEAD"):
            return _status(session)
        problem = _version_problem()
        if problem is not None:
            return problem
        if request.method == "DELETE":
            delete_upload(session, current_user)
            return _empty(204)
        return _patch(session)
    except UploadProblem as exc:
        return _problem(exc.status, exc.code, exc.message)
    except IntakeRefused as refusal:
        return _problem(refusal.status, refusal.code, refusal.message)


def _status(session: UploadSession):
    result = upload_status(session)
    if request.method == "HEAD":
        return _empty(200, _progress_headers(result))
    response = jsonify(
        offset=result.offset, length=result.length, complete=session.evidence_id is not None
    )
    return _tus_headers(response, _progress_headers(result))


def _patch(session: UploadSession):
    if request.mimetype != OFFSET_CONTENT_TYPE:
        return _problem(
            415, "bad_content_type", f"PATCH bodies must be sent as {OFFSET_CONTENT_TYPE}."
        )
    offset = _non_negative_header("Upload-Offset")
    if offset is None:
        return _problem(400, "bad_offset", "Upload-Offset (a number of bytes) is required.")
    result = append_to_upload(
        session, current_user, offset, request.stream.read, request.content_length
    )
    return _empty(204, _progress_headers(result))
