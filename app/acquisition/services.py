"""Reading and changing an item's acquisition record: checked input, the lock once an approved
case file holds the item, a ledger entry per change (field names and a digest, never values)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select

from app.acquisition.models import AcquisitionRecord, Edited, Generation, Method
from app.casefiles.models import CaseFile, CaseItem, CaseStatus, ItemType
from app.crypto.canonical import canonical_json
from app.custody.ledger import append_custody_event
from app.extensions import db
from app.investigations.viewer import InvestigationViewer
from app.service_errors import ServiceError
from app.timeutil import utcnow
from app.vault.models import EvidenceItem, EvidenceKind
from app.webcapture.services import checks_of

TEXT_FIELDS = ("online_link", "online_title", "method_note", "original_location", "edit_note")
IDENTITY_FIELDS = ("acquired_from",)  # shown and changed only with the identity grant
CHOICE_FIELDS = {"method": Method, "generation": Generation, "edited": Edited}
FIELDS = (
    "online_link",
    "online_title",
    "acquired_at",
    "method",
    "method_note",
    "acquired_from",
    "generation",
    "original_location",
    "edited",
    "edit_note",
    "hashes_at_acquisition",
)
MAX_TEXT = 2000
_HASH_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
_HASH_LINE = re.compile(r"([a-z0-9]+):([0-9a-f]+)\Z")


class AcquisitionRefused(ServiceError):
    """A value of the record refused (422; the API: `validation_failed`), naming its field."""

    status = 422
    code = "validation_failed"


class AcquisitionLocked(ServiceError):
    """The item is in an approved case file: its record is what was approved (409)."""

    status = 409
    code = "acquisition_locked"


def stored_record(item: EvidenceItem) -> AcquisitionRecord | None:
    return db.session.scalar(
        select(AcquisitionRecord).where(AcquisitionRecord.evidence_id == item.id)
    )


def acquisition_locked(item: EvidenceItem) -> bool:
    """True once any approved case file holds the item."""
    stmt = (
        select(CaseItem.id)
        .join(CaseFile, CaseFile.id == CaseItem.casefile_id)
        .where(
            CaseItem.item_type == ItemType.EVIDENCE.value,
            CaseItem.item_id == item.id,
            CaseFile.status == CaseStatus.APPROVED.value,
        )
        .limit(1)
    )
    return db.session.scalar(stmt) is not None


def derived_record(item: EvidenceItem) -> dict[str, Any]:
    """What Custos knows without anyone saying: a capture's first page, time and tool; for any
    item, when it was received. Shown until someone records the item's own values."""
    derived: dict[str, Any] = {"acquired_at": item.received_at, "method": None}
    if item.kind != EvidenceKind.WEB_CAPTURE.value:
        return derived
    derived["method"] = Method.WEB_CAPTURE.value
    checks = checks_of(item)
    if not checks:
        return derived
    result = json.loads(checks[0].result)
    pages = result.get("pages") or result.get("views") or []
    if pages:
        derived["online_link"] = pages[0].get("url") or pages[0].get("target_uri")
        derived["online_title"] = pages[0].get("title")
        derived["acquired_at"] = _parsed_time(pages[0].get("ts") or pages[0].get("date"))
    software = [w.get("software") for w in result.get("warcinfo") or [] if w.get("software")]
    if software:
        derived["method_note"] = software[0]
    derived["acquired_at"] = derived.get("acquired_at") or item.received_at
    return derived


def record_of(item: EvidenceItem, with_identity: bool) -> dict[str, Any]:
    """The item's record as shown and exported: its recorded values, else what is derived;
    `recorded` says which. The SHA-256 Custos computed at receipt is always among the hashes."""
    row = stored_record(item)
    values = (
        {name: getattr(row, name) for name in FIELDS} if row is not None else derived_record(item)
    )
    record: dict[str, Any] = {name: values.get(name) for name in FIELDS}
    if not with_identity:
        record.pop("acquired_from")
    record["hashes_at_receipt"] = {"sha256": item.sha256}
    record["recorded"] = row is not None
    record["updated_at"] = row.updated_at if row is not None else None
    return record


def export_record(item: EvidenceItem, with_identity: bool) -> dict[str, Any]:
    """The record in a bag's metadata.json and the API: times as ISO 8601 UTC, identity only
    if allowed."""
    record = record_of(item, with_identity)
    for name in ("acquired_at", "updated_at"):
        if record[name] is not None:
            record[name] = record[name].replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
    if not with_identity:
        record["withheld"] = list(IDENTITY_FIELDS)
    record["locked"] = acquisition_locked(item)
    return record


def record_acquisition(
    viewer: InvestigationViewer, item: EvidenceItem, values: dict[str, Any]
) -> AcquisitionRecord:
    """Record or change the item's record. Without the identity grant, `acquired_from` is
    neither read nor changed. Refused whole (nothing stored) on any bad value."""
    if acquisition_locked(item):
        raise AcquisitionLocked(
            _("This item is in an approved case file: its acquisition record can no longer change.")
        )
    clean = checked_values(values)
    row = stored_record(item)
    if row is None:
        row = AcquisitionRecord(evidence_id=item.id, investigation_id=item.investigation_id)
        db.session.add(row)
    editable = [n for n in FIELDS if viewer.may_see_identities or n not in IDENTITY_FIELDS]
    changed = [name for name in editable if getattr(row, name) != clean[name]]
    if not changed and row.id is not None:
        return row
    for name in editable:
        setattr(row, name, clean[name])
    row.updated_by_id = viewer.user.id
    row.updated_at = utcnow()
    db.session.flush()
    append_custody_event(
        item.investigation_id,
        viewer.user,
        "acquisition_recorded",
        "evidence",
        item.id,
        {
            "record_id": row.id,
            "fields": changed,
            "record_sha256": hashlib.sha256(canonical_json(_digestible(row))).hexdigest(),
        },
    )
    return row


def checked_values(values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name in FIELDS:
        value = values.get(name)
        value = value.strip() if isinstance(value, str) else value
        clean[name] = value or None
        if isinstance(clean[name], str) and len(clean[name]) > MAX_TEXT:
            raise AcquisitionRefused(_("At most %(n)s characters.", n=MAX_TEXT), name)
    link = clean["online_link"]
    if link and (urlsplit(link).scheme not in ("http", "https") or not urlsplit(link).netloc):
        message = _("The online link must be an http or https address.")
        raise AcquisitionRefused(message, "online_link")
    for name, choices in CHOICE_FIELDS.items():
        if clean[name] is not None and clean[name] not in {c.value for c in choices}:
            raise AcquisitionRefused(_("Choose one of the listed values."), name)
    clean["acquired_at"] = _checked_time(clean["acquired_at"])
    clean["hashes_at_acquisition"] = _checked_hashes(clean["hashes_at_acquisition"])
    return clean


def _checked_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        moment = value
    else:
        moment = _parsed_time(value)
        if moment is None:
            raise AcquisitionRefused(_("Give the date and time of acquisition."), "acquired_at")
    if moment is not None and moment > utcnow():
        raise AcquisitionRefused(_("The date of acquisition is in the future."), "acquired_at")
    return moment


def _parsed_time(value: Any) -> datetime | None:
    """An ISO 8601 time as naive UTC (the database's convention), or None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # year 1 or 9999 moved past the calendar's edge
            return None
    return moment


def _checked_hashes(value: str | None) -> str | None:
    """One `algorithm:hex` a line (md5, sha1, sha256, sha512), as the capture tool gave them."""
    if value is None:
        return None
    lines = [line.strip().lower() for line in value.splitlines() if line.strip()]
    for line in lines:
        match = _HASH_LINE.match(line)
        if not match or _HASH_LENGTHS.get(match.group(1)) != len(match.group(2)):
            raise AcquisitionRefused(
                _("One hash a line, written algorithm:hex (md5, sha1, sha256 or sha512)."),
                "hashes_at_acquisition",
            )
    return "\n".join(lines) or None


def _digestible(row: AcquisitionRecord) -> dict[str, Any]:
    document: dict[str, Any] = {"evidence_id": row.evidence_id}
    for name in FIELDS:
        value = getattr(row, name)
        document[name] = value.isoformat() if isinstance(value, datetime) else value
    return document
