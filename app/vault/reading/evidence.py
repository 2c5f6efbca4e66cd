"""Reading evidence back: the list, the item page, streaming with HTTP Range, downloads and
derivatives, each read recorded in the custody ledger with who did it.

Services take the investigation viewer (app/investigations/viewer.py: a non-member gets 404
for every object, never 403) and see only what `visible_evidence` grants it.

Custody records, one rule per kind of read (also in README.md, "Reading evidence"):
- the item page and every derivative fetch (thumbnail, stripped copy) append one `viewed`
  entry per request; every download appends one `downloaded` entry per request;
- the stream URL serves a video player's Range requests: recording each would write
  thousands of entries per playback, and recording only "Range starts at 0" would let a
  client read everything from byte 1 unrecorded. So a `streamed` entry is appended when the
  same user has no `streamed` entry for the same item in the last
  CUSTOS_STREAM_CUSTODY_WINDOW_SECONDS (default 600): any access pattern is recorded at
  least once per window, a scrubbing storm once. Two requests racing within milliseconds
  may both be recorded; the rule errs towards more records, never fewer.
- The entry is committed BEFORE the first byte is sent: no content leaves unrecorded.
  HEAD requests and 416 answers send no content and are not recorded.

Reads with a stated reason (app/accesslog): the item page (and the API's item resource) is a
read of the evidence record; downloading the original needs a reason, stated on the reason form
(valid for a few minutes) or in the request's X-Access-Reason header, and is refused with
ReasonRequired otherwise. File names and capture facts are identity information
(docs/security.md): without the membership's identity grant the viewer gets a neutral name and
no facts, on the page, in the download's file name and through the API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import abort, current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accesslog.models import ReadKind
from app.accesslog.reasons import Reason
from app.accesslog.services import recent_reason, record_read
from app.crypto.age import AgeError, AgeReader
from app.custody.ledger import append_custody_event
from app.custody.models import LedgerEntry
from app.extensions import db
from app.investigations.access import get_or_404
from app.investigations.viewer import InvestigationViewer
from app.security.org_keys import ReadsDisabled, intake_only
from app.timeutil import utcnow
from app.vault.blobstore.base import BlobStoreError
from app.vault.models import Derivative, EvidenceItem, visible_evidence
from app.vault.reading.filters import (
    TAKEN_SCAN_LIMIT,
    EvidenceFilters,
    filtered,
    taken_between,
)
from app.vault.reading.http_framing import (
    ByteRange,
    content_disposition,
    download_name,
    parse_range,
)
from app.vault.reading.item_view import ItemView
from app.vault.storage import open_plaintext

LIST_PAGE_SIZE = 50
# Chunks decrypted per source read while streaming: 1 MiB per object-store GET.
_STREAM_BUFFER_CHUNKS = 16


def require_reads() -> None:
    """Refuse on an intake-only node (it holds no private key): the routes answer 503."""
    if intake_only():
        raise ReadsDisabled()


def evidence_page(
    viewer: InvestigationViewer, page: int = 1, filters: EvidenceFilters | None = None
) -> list[EvidenceItem]:
    """One page (and one more item, to tell a next page) of the evidence the viewer may see
    that matches `filters`, newest first, with thumbnails loaded."""
    require_reads()
    filters = filters or EvidenceFilters()
    start = (max(page, 1) - 1) * LIST_PAGE_SIZE
    stmt = (
        filtered(visible_evidence(select(EvidenceItem), viewer), filters)
        .options(selectinload(EvidenceItem.derivatives), selectinload(EvidenceItem.uploaded_by))
        .order_by(EvidenceItem.received_at.desc(), EvidenceItem.id)
    )
    if filters.by_taken_date:
        # The date taken is sealed: read within the newest TAKEN_SCAN_LIMIT matching items.
        scanned = db.session.scalars(stmt.limit(TAKEN_SCAN_LIMIT))
        matching = [item for item in scanned if taken_between(item, filters)]
        return matching[start : start + LIST_PAGE_SIZE + 1]
    return list(db.session.scalars(stmt.limit(LIST_PAGE_SIZE + 1).offset(start)))


def evidence_count(viewer: InvestigationViewer, filters: EvidenceFilters | None = None) -> int:
    """How many items match (for the date taken: within the scanned window)."""
    filters = filters or EvidenceFilters()
    stmt = filtered(visible_evidence(select(EvidenceItem), viewer), filters)
    if filters.by_taken_date:
        stmt = stmt.order_by(EvidenceItem.received_at.desc(), EvidenceItem.id)
        items = db.session.scalars(stmt.limit(TAKEN_SCAN_LIMIT))
        return sum(1 for item in items if taken_between(item, filters))
    return int(db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def evidence_in(viewer: InvestigationViewer, evidence_id: str) -> EvidenceItem:
    """An item of the viewer's investigation that they may see (404 otherwise)."""
    item = db.session.scalar(
        visible_evidence(select(EvidenceItem), viewer).where(EvidenceItem.id == evidence_id)
    )
    if item is None:
        abort(404)
    return item


class ReasonRequired(Exception):
    """Downloading an original needs a stated reason, and none was stated."""

    def __init__(self, evidence_id: str) -> None:
        super().__init__(evidence_id)
        self.evidence_id = evidence_id


def shown_name(viewer: InvestigationViewer, item: EvidenceItem) -> str:
    """The file name this viewer may read: the original with the identity grant, else neutral."""
    return item.original_filename if viewer.may_see_identities else neutral_name(item)


def evidence_label(item: EvidenceItem) -> str:
    """How the access report names an item: never its file name."""
    return f"evidence {item.id[:8]}"


def record_evidence_read(
    viewer: InvestigationViewer,
    item: EvidenceItem,
    kind: ReadKind = ReadKind.EVIDENCE,
    reason: Reason | None = None,
    channel: str = "web",
) -> None:
    """An access record for this read of the item (the caller commits)."""
    label = evidence_label(item)
    record_read(
        viewer, "evidence", item.id, kind, label=label, reason=reason, channel=channel, commit=False
    )


def state_download_reason(viewer: InvestigationViewer, evidence_id: str, reason: Reason) -> None:
    """The reason form's answer: recorded now, it lets the original be downloaded for a while."""
    item = evidence_in(viewer, evidence_id)
    record_evidence_read(viewer, item, ReadKind.ORIGINAL, reason)
    db.session.commit()


def _json_or_none(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {"unreadable": True}
    return value if isinstance(value, dict) else {"value": value}


def view_item(viewer: InvestigationViewer, evidence_id: str, again: bool = False) -> ItemView:
    """The item page; records one `viewed` entry, unless it is shown `again` to give a refused
    form back (the page it was sent from recorded the view; a refusal adds nothing to the
    ledger). Each showing is on the access log."""
    require_reads()
    item = evidence_in(viewer, evidence_id)
    facts_visible = viewer.may_see_identities
    view = ItemView(
        item=item,
        filename=shown_name(viewer, item),
        client_facts=_json_or_none(item.client_facts) if facts_visible else None,
        extracted=_json_or_none(item.extracted_metadata) if facts_visible else None,
        derivatives=list(item.derivatives),
        facts_visible=facts_visible,
    )
    record_evidence_read(viewer, item)
    if not again:
        # Last before the commit: the append holds the investigation's ledger head until then.
        _record(item, viewer.user, "viewed", {"via": "item_page", "sha256": item.sha256})
    db.session.commit()
    return view


# --- Content reads ------------------------------------------------------------------------------


@dataclass
class ContentRead:
    """Bytes ready to send: status, headers and a body generator that decrypts lazily."""

    status: int
    size: int  # of the whole representation
    media_type: str
    byte_range: ByteRange | None
    reader: AgeReader | None
    disposition: str

    @property
    def content_length(self) -> int:
        return self.byte_range.length if self.byte_range else self.size

    def headers(self) -> dict[str, str]:
        headers = {
            "Content-Length": str(self.content_length),
            "Accept-Ranges": "bytes",
            "Content-Disposition": self.disposition,
        }
        if self.byte_range is not None:
            headers["Content-Range"] = self.byte_range.content_range(self.size)
        return headers

    def body(self) -> Iterator[bytes]:
        """Decrypt only the chunks covering the range, as the client consumes them."""
        reader = self.reader
        if reader is None:
            return
        start, end = (
            (self.byte_range.start, self.byte_range.end) if self.byte_range else (0, self.size)
        )
        try:
            yield from reader.iter_range(start, end, buffer_chunks=_STREAM_BUFFER_CHUNKS)
        finally:
            close_reader(reader)

    def discard(self) -> None:
        if self.reader is not None:
            close_reader(self.reader)
            self.reader = None


class EvidenceUnreadable(RuntimeError):
    """A stored blob is missing, fails authentication, or is not the size on record."""

    def __init__(self, object_id: str, reason: str) -> None:
        super().__init__(f"{object_id}: {reason}")
        self.object_id = object_id
        self.reason = reason


def close_reader(reader: AgeReader) -> None:
    close = getattr(reader.source, "close", None)
    if close is not None:
        close()


def open_verified(object_id: str, blob_key: str, size: int) -> AgeReader:
    """Open a blob for reading; its header MAC and final chunk are checked before any byte.

    A blob that fails here is never served: the age reader refuses tampered or truncated
    data, and a size other than the recorded one means the blob was swapped.
    """
    try:
        reader = open_plaintext(blob_key)
    except (AgeError, BlobStoreError) as exc:
        raise EvidenceUnreadable(object_id, type(exc).__name__) from None
    if reader.plaintext_size != size:
        close_reader(reader)
        raise EvidenceUnreadable(object_id, "size differs from the record")
    return reader


def _open_item(item: EvidenceItem) -> AgeReader:
    return open_verified(item.id, item.blob_key, item.size)


def stream_item(
    viewer: InvestigationViewer,
    evidence_id: str,
    range_header: str | None,
    if_range: str | None = None,
    send_body: bool = True,
) -> ContentRead:
    """Inline bytes for players and <img>: 206 for one range, 200 for none, 416 if beyond.

    If-Range: we send no validators (no ETag, no Last-Modified), so no If-Range can match;
    RFC 9110 §13.1.5 then requires ignoring the Range and sending everything (200).
    """
    require_reads()
    item = evidence_in(viewer, evidence_id)
    byte_range = None if if_range else parse_range(range_header, item.size)
    disposition = content_disposition("inline", _download_name(viewer, item), neutral_name(item))
    reader = _open_item(item) if send_body else None
    if send_body:
        _record_stream(item, viewer.user, byte_range)
        db.session.commit()
    return ContentRead(
        206 if byte_range else 200, item.size, item.media_type, byte_range, reader, disposition
    )


def download_item(
    viewer: InvestigationViewer,
    evidence_id: str,
    send_body: bool = True,
    reason: Reason | None = None,
) -> ContentRead:
    """The original bytes under the original filename; one `downloaded` entry per request.

    `reason`: stated with this request (X-Access-Reason); without one, a reason stated on the
    form in the last minutes; else ReasonRequired.
    """
    require_reads()
    item = evidence_in(viewer, evidence_id)
    if send_body:
        if reason is not None:
            record_evidence_read(viewer, item, ReadKind.ORIGINAL, reason)
        elif not recent_reason(viewer, "evidence", item.id, ReadKind.ORIGINAL):
            raise ReasonRequired(item.id)
    disposition = content_disposition(
        "attachment", _download_name(viewer, item), neutral_name(item)
    )
    reader = _open_item(item) if send_body else None
    if send_body:
        _record(item, viewer.user, "downloaded", {"sha256": item.sha256, "size": item.size})
        db.session.commit()
    return ContentRead(200, item.size, item.media_type, None, reader, disposition)


def read_derivative(
    viewer: InvestigationViewer,
    evidence_id: str,
    derivative_id: str,
    send_body: bool = True,
) -> ContentRead:
    """A thumbnail or stripped copy, inline under a neutral name; one `viewed` entry."""
    require_reads()
    item = evidence_in(viewer, evidence_id)
    derivative = get_or_404(Derivative, derivative_id, viewer.user)
    if derivative.evidence_id != item.id:
        abort(404)
    reader = None
    if send_body:
        reader = open_verified(derivative.id, derivative.blob_key, derivative.size)
        details = {
            "via": "derivative",
            "derivative_id": derivative.id,
            "kind": derivative.kind,
            "sha256": derivative.sha256,
        }
        _record(item, viewer.user, "viewed", details)
        db.session.commit()
    # The original filename may name a person or place; a shared copy must not carry it.
    extension = "png" if derivative.media_type == "image/png" else "jpg"
    name = f"evidence-{item.id[:8]}-{derivative.kind}.{extension}"
    disposition = content_disposition("inline", name, name)
    return ContentRead(200, derivative.size, derivative.media_type, None, reader, disposition)


def neutral_name(item: EvidenceItem) -> str:
    """The name of an item for a viewer without the identity grant: a handle, not its name."""
    return f"evidence-{item.id[:8]}"


def _download_name(viewer: InvestigationViewer, item: EvidenceItem) -> str:
    """The name shown to the viewer, safe to save, with an extension agreeing with its bytes."""
    return download_name(shown_name(viewer, item), item.media_type, neutral_name(item))


# --- Custody ------------------------------------------------------------------------------------


def _record(item: EvidenceItem, user: Any, action: str, details: dict[str, Any]) -> None:
    append_custody_event(item.investigation_id, user, action, "evidence", item.id, details)


def stream_window() -> timedelta:
    return timedelta(seconds=current_app.config["CUSTOS_STREAM_CUSTODY_WINDOW_SECONDS"])


def _record_stream(item: EvidenceItem, user: Any, byte_range: ByteRange | None) -> None:
    since = utcnow() - stream_window()
    recent = db.session.scalar(
        select(LedgerEntry.id)
        .where(
            LedgerEntry.object_type == "evidence",
            LedgerEntry.object_id == item.id,
            LedgerEntry.investigation_id == item.investigation_id,
            LedgerEntry.action == "streamed",
            LedgerEntry.actor_id == getattr(user, "id", None),
            LedgerEntry.time >= since,
        )
        .limit(1)
    )
    if recent is not None:
        return
    details = {
        "sha256": item.sha256,
        "first_byte": byte_range.start if byte_range else 0,
        "window_seconds": int(stream_window().total_seconds()),
    }
    _record(item, user, "streamed", details)
