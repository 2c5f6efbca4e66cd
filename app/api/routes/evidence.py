"""Evidence through the API: the list, one item's record, and streaming upload.

An upload is the raw request body (any Content-Type but a form's), with the file's name in
X-Filename, percent-encoded UTF-8 (RFC 3986), and optionally the capture facts as a
percent-encoded JSON object in X-Capture-Facts. It streams through the vault's IntakeWriter
exactly as a web upload does: the same type sniffing, size limit and refusals, nothing held
in memory beyond a read buffer, nothing stored when refused. Large files over a poor
connection go through the vault's tus endpoints, which take the same token.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

from flask import request, url_for
from flask_login import current_user

from app.api import bp
from app.api.errors import ApiError
from app.api.pagination import page_request, paginated, window
from app.api.routes.reasons import api_reason
from app.api.routes.responses import created, ok
from app.api.schemas.evidence import evidence_json, evidence_record_json
from app.extensions import db
from app.investigations.access import investigation_by_reference_or_404
from app.investigations.viewer import viewer_for
from app.security.rate_limits import upload_limit
from app.vault.incident_links import links_by_item
from app.vault.reading.evidence import (
    LIST_PAGE_SIZE,
    evidence_count,
    evidence_in,
    evidence_page,
    record_evidence_read,
    require_reads,
    shown_name,
)
from app.vault.reading.filters import EvidenceFilters, FilterRefused, parse_evidence_filters
from app.vault.upload.refusals import IntakeRefused
from app.vault.upload.stream import begin_intake

READ_SIZE = 256 * 1024  # as multipart intake (app/vault/upload/multipart.py)
FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
API_CHANNEL = "api"


@bp.get("/investigations/<reference>/evidence")
def evidence_list(reference: str):
    viewer = viewer_for(reference)
    wanted = page_request()
    require_reads()
    filters = _filters(viewer)
    # The field-staff rule too: a count of others' submissions is not theirs to learn.
    total = evidence_count(viewer, filters)

    def fetch(number: int):
        return evidence_page(viewer, number, filters), total

    items, total = window(fetch, LIST_PAGE_SIZE, wanted)
    links = links_by_item(viewer, [item.id for item in items])
    views = [
        evidence_json(item, shown_name(viewer, item), links.get(item.id, [])) for item in items
    ]
    return ok(paginated(views, total, wanted, filters.query()))


def _filters(viewer) -> EvidenceFilters:
    try:
        return parse_evidence_filters(request.args, viewer)
    except FilterRefused as refused:
        problems = {
            name: [{"code": "invalid_filter", "message": message}]
            for name, message in refused.problems.items()
        }
        raise ApiError(
            400, "invalid_query", "Some query parameters are not valid.", problems
        ) from None


@bp.get("/investigations/<reference>/evidence/<evidence_id>")
def evidence_item(reference: str, evidence_id: str):
    """One item's record: a read recorded on the access log (X-Access-Reason states why)."""
    viewer = viewer_for(reference)
    require_reads()
    reason = api_reason()
    item = evidence_in(viewer, evidence_id)
    record_evidence_read(viewer, item, reason=reason, channel=API_CHANNEL)
    db.session.commit()
    return ok(evidence_record_json(viewer, item))


def _percent_decoded_header(name: str) -> str | None:
    raw = request.headers.get(name)
    if raw is None:
        return None
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise IntakeRefused(
            "bad_request", f"{name} must be percent-encoded UTF-8 (RFC 3986)."
        ) from None


def _capture_facts() -> dict | None:
    text = _percent_decoded_header("X-Capture-Facts")
    if not text:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise IntakeRefused("bad_request", "X-Capture-Facts must be a JSON object.") from None


@bp.post("/investigations/<reference>/evidence")
@upload_limit
def upload_evidence(reference: str):
    investigation = investigation_by_reference_or_404(reference, current_user)
    if not request.mimetype or request.mimetype in FORM_TYPES:
        raise ApiError(
            415,
            "unsupported_media_type",
            "Send the file's bytes as the request body with their Content-Type (for example "
            "application/octet-stream) and its name in X-Filename; forms are not accepted here.",
        )
    filename = _percent_decoded_header("X-Filename")
    writer = begin_intake(
        investigation, current_user, filename, _capture_facts(), request.content_length
    )
    writer.channel = API_CHANNEL  # named in the custody `received` entry
    try:
        while chunk := request.stream.read(READ_SIZE):
            writer.write(chunk)
    except BaseException:
        writer.abort()  # a dropped connection or a refusal: nothing of the file is kept
        raise
    item = writer.finish()
    view = evidence_json(item, filename or "")
    location = url_for("api.evidence_item", reference=reference, evidence_id=item.id)
    return created(view, location)
