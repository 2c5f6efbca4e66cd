"""The processing step for web captures: check the decrypted package, keep the result sealed,
record its digest and verdict in the ledger. Evidence is never refused after the fact."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from app.crypto.age import AgeReader
from app.crypto.canonical import canonical_json, utc_timestamp
from app.custody.ledger import append_custody_event
from app.extensions import db
from app.timeutil import utcnow
from app.vault.media.derivatives import DerivativeError, store_derivative, stripped_photo
from app.vault.models import DerivativeKind, EvidenceItem, EvidenceKind
from app.webcapture.inspection import inspect_capture
from app.webcapture.limits import READ_STEP, CaptureLimits
from app.webcapture.models import WebCaptureCheck
from app.webcapture.pageview import PageViews, screenshot_page
from app.webcapture.trust import configured_roots

FORMAT = "custos-webcapture-v1"
ACTOR = "system:media-processing"


def check_capture_step(item: EvidenceItem, reader: AgeReader) -> None:
    """Check a web capture once, at processing (idempotent, like the other steps)."""
    if item.kind != EvidenceKind.WEB_CAPTURE.value:
        return
    done = db.session.scalar(
        select(WebCaptureCheck.id).where(WebCaptureCheck.evidence_id == item.id).limit(1)
    )
    if done is None:
        run_capture_check(item, reader, CaptureLimits())


def run_capture_check(
    item: EvidenceItem, reader: AgeReader, limits: CaptureLimits
) -> WebCaptureCheck:
    views = PageViews()
    try:
        with io.BufferedReader(reader.as_file(), buffer_size=READ_STEP) as file:
            outcome = inspect_capture(item.media_type, file, limits, views, configured_roots())
        outcome["views"] = views.views
        outcome["screenshots"] = store_screenshots(item, views.screenshots)
    finally:
        views.close()
    checked_at = utcnow()
    document = {
        "format": FORMAT,
        "evidence_id": item.id,
        "sha256": item.sha256,
        "media_type": item.media_type,
        "checked_at": utc_timestamp(checked_at.replace(tzinfo=UTC)),
        **outcome,
    }
    encoded = canonical_json(document)
    digest = hashlib.sha256(encoded).hexdigest()
    check = WebCaptureCheck(
        evidence_id=item.id,
        investigation_id=item.investigation_id,
        result=encoded.decode("utf-8"),
        result_sha256=digest,
        verdict=outcome["verdict"],
        checked_at=checked_at,
    )
    db.session.add(check)
    db.session.flush()
    append_custody_event(
        item.investigation_id,
        ACTOR,
        "web_capture_checked",
        "evidence",
        item.id,
        {
            "check_id": check.id,
            "format": FORMAT,
            "sha256": item.sha256,
            "result_sha256": digest,
            "verdict": check.verdict,
            "records": outcome.get("record_count", 0),
            "pages": len(outcome.get("pages", [])),
        },
    )
    return check


def store_screenshots(item: EvidenceItem, shots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each screenshot re-encoded with its metadata dropped (never the captured bytes as they
    came) and stored as a derivative of the item, so Custos serves it as its own image type.
    Each is opened from its seal (PageViews) as it is stored, one at a time."""
    kept = []
    for shot in shots:
        entry = {k: v for k, v in shot.items() if k != "data"}
        entry["page"] = screenshot_page(shot.get("target_uri") or "")
        try:
            data, media_type = stripped_photo(io.BytesIO(shot["data"].contents()))
        except (DerivativeError, OSError, ValueError):
            entry["unreadable"] = True
        else:
            derivative = store_derivative(item, DerivativeKind.SCREENSHOT, media_type, data, ACTOR)
            entry["derivative_id"] = derivative.id
        kept.append(entry)
    return kept


def checks_of(item: EvidenceItem) -> list[WebCaptureCheck]:
    stmt = (
        select(WebCaptureCheck)
        .where(WebCaptureCheck.evidence_id == item.id)
        .order_by(WebCaptureCheck.checked_at.desc(), WebCaptureCheck.id)
    )
    return list(db.session.scalars(stmt))


def items_with_failed_checks():
    """SELECT of the ids of items whose latest web-capture check failed."""
    later = aliased(WebCaptureCheck)
    return select(WebCaptureCheck.evidence_id).where(
        WebCaptureCheck.verdict == "failed",
        ~exists().where(
            later.evidence_id == WebCaptureCheck.evidence_id,
            later.checked_at > WebCaptureCheck.checked_at,
        ),
    )
