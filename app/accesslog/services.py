"""Recording reads and reading the records back: the object's reads, the access report, CSV.

`record_read` is called by the view that is about to send the content (witness identity,
testimony, evidence record, original, export) and commits before anything is sent. Reads of one
object by one person of one kind within one clock hour share a record (first and last time and a
count); the first stated reason is kept, and a reason stated later in the hour fills an empty one.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accesslog.models import AccessRecord, ReadKind
from app.accesslog.reasons import REASONS, Reason
from app.extensions import db
from app.investigations.viewer import InvestigationViewer
from app.timeutil import utcnow

REPORT_LIMIT = 5000
# A reason stated on the form lets the original be downloaded for this long.
REASON_VALID_FOR = timedelta(minutes=10)
# Spreadsheets run a cell beginning with one of these as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def record_read(
    viewer: InvestigationViewer,
    object_type: str,
    object_id: str,
    kind: ReadKind,
    *,
    label: str,
    reason: Reason | None = None,
    channel: str = "web",
    commit: bool = True,
) -> AccessRecord:
    """Record that the viewer reads an object now; commit first unless the caller commits."""
    now = utcnow()
    hour = now.replace(minute=0, second=0, microsecond=0)
    user = viewer.user
    key = dict(
        user_id=user.id, object_type=object_type, object_id=str(object_id), kind=kind, hour=hour
    )
    record = db.session.scalar(select(AccessRecord).filter_by(**key))
    if record is None:
        record = AccessRecord(
            investigation_id=viewer.investigation.id,
            user_email=user.email,
            user_role=user.role,
            label=label[:64],
            channel=channel,
            first_at=now,
            last_at=now,
            reads=1,
            reason_code=reason.code if reason else "",
            reason_text=reason.text if reason and reason.text else None,
            **key,
        )
        try:
            with db.session.begin_nested():
                db.session.add(record)
        except IntegrityError:  # the same read recorded at the same moment by another request
            record = db.session.scalars(select(AccessRecord).filter_by(**key)).one()
            _again(record, now, reason)
    else:
        _again(record, now, reason)
    if commit:
        db.session.commit()
    return record


def _again(record: AccessRecord, now: datetime, reason: Reason | None) -> None:
    record.reads += 1
    record.last_at = now
    if reason is not None and not record.reason_code:
        record.reason_code = reason.code
        record.reason_text = reason.text or None


def recent_reason(viewer: InvestigationViewer, object_type: str, object_id: str, kind) -> bool:
    """Whether the viewer stated a reason for this read of this object in the last minutes."""
    since = utcnow() - REASON_VALID_FOR
    found = db.session.scalar(
        select(AccessRecord.id).where(
            AccessRecord.user_id == viewer.user.id,
            AccessRecord.object_type == object_type,
            AccessRecord.object_id == str(object_id),
            AccessRecord.kind == kind,
            AccessRecord.reason_code != "",
            AccessRecord.last_at >= since,
        )
    )
    return found is not None


@dataclass(frozen=True)
class ReadRow:
    """One access record as the pages and the CSV show it."""

    hour: datetime
    first_at: datetime
    last_at: datetime
    who: str
    role: str
    kind: str
    object_type: str
    object_id: str
    label: str
    reason: str
    reason_text: str
    channel: str
    reads: int


def _row(record: AccessRecord) -> ReadRow:
    return ReadRow(
        hour=record.hour,
        first_at=record.first_at,
        last_at=record.last_at,
        who=record.user_email,
        role=record.user_role,
        kind=record.kind,
        object_type=record.object_type,
        object_id=record.object_id,
        label=record.label,
        reason=str(REASONS.get(record.reason_code, "")) if record.reason_code else "",
        reason_text=record.reason_text or "",
        channel=record.channel,
        reads=record.reads,
    )


def reads_of(viewer: InvestigationViewer, object_type: str, object_id: str) -> list[ReadRow]:
    """The recorded reads of one object, newest first; only for who reads the whole ledger."""
    if not viewer.sees_full_ledger:
        return []
    stmt = (
        select(AccessRecord)
        .where(
            AccessRecord.investigation_id == viewer.investigation.id,
            AccessRecord.object_type == object_type,
            AccessRecord.object_id == str(object_id),
        )
        .order_by(AccessRecord.last_at.desc())
        .limit(REPORT_LIMIT)
    )
    return [_row(record) for record in db.session.scalars(stmt)]


def access_report(viewer: InvestigationViewer, label: str = "", kind: str = "") -> list[ReadRow]:
    """The investigation's access report, newest first: for its lawyers, leads and admins."""
    if not viewer.sees_full_ledger:
        abort(403)
    stmt = select(AccessRecord).where(AccessRecord.investigation_id == viewer.investigation.id)
    if label:
        stmt = stmt.where(AccessRecord.label == label)
    if kind:
        stmt = stmt.where(AccessRecord.kind == kind)
    stmt = stmt.order_by(AccessRecord.last_at.desc(), AccessRecord.id).limit(REPORT_LIMIT)
    return [_row(record) for record in db.session.scalars(stmt)]


CSV_COLUMNS = (
    "hour_utc",
    "first_read_utc",
    "last_read_utc",
    "who",
    "role",
    "what",
    "object",
    "object_id",
    "reason",
    "reason_text",
    "channel",
    "reads",
)


def csv_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: a leading formula character is quoted away."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def report_csv(rows: list[ReadRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        cells = (
            r.hour.strftime("%Y-%m-%dT%H:00Z"),
            r.first_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            r.last_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            r.who,
            r.role,
            r.kind,
            r.label,
            r.object_id,
            r.reason,
            r.reason_text,
            r.channel,
            r.reads,
        )
        writer.writerow([csv_safe(cell) for cell in cells])
    return out.getvalue()
