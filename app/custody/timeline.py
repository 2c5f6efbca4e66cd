"""Reading the ledger for people: an item's custody timeline, and the filtered ledger page.

What is shown comes from the entry bodies (the hashed record), not from the denormalised
columns, and each shown entry's own hashes are recomputed, so a page never displays an
entry that does not match its hash without saying so. The columns only choose and order
rows. Access goes through investigations.access like every other content query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select

from app.auth.models import User
from app.custody.chain import body_digest, entry_hash
from app.custody.models import LedgerEntry
from app.extensions import db
from app.investigations.access import visible
from app.investigations.models import Investigation
from app.vault.models import Derivative

# An item page stays readable and fast; the ledger page has the rest (the partial links it).
TIMELINE_LIMIT = 500


@dataclass(frozen=True)
class TimelineEntry:
    """One ledger entry as the pages show it: who, what, when, and its hashes (never from where)."""

    seq: int
    investigation: str  # the reference the entry was written under
    time: str  # "YYYY-MM-DDTHH:MM:SS.ffffffZ", as recorded
    action: str
    actor: str  # an email, or a system actor such as "system:fixity"
    actor_role: str | None
    object_type: str
    object_id: str
    details: dict[str, Any] = field(default_factory=dict)
    entry_hash: str = ""
    prev_hash: str = ""
    intact: bool = True  # the body and entry hash recompute to what is stored

    @property
    def when(self) -> str:
        """The recorded time, for display: date and time to the second, UTC."""
        return self.time[:19].replace("T", " ")


def to_timeline_entry(entry: LedgerEntry) -> TimelineEntry:
    body_ok = body_digest(entry.body) == entry.body_sha256
    hash_ok = entry_hash(entry.seq, entry.prev_hash, entry.body_sha256) == entry.entry_hash
    try:
        body = json.loads(entry.body)
    except ValueError:
        body = {}
    actor = body.get("actor") if isinstance(body.get("actor"), dict) else {}
    obj = body.get("object") if isinstance(body.get("object"), dict) else {}
    return TimelineEntry(
        seq=entry.seq,
        investigation=str(body.get("investigation", "")),
        time=str(body.get("time", "")),
        action=str(body.get("action", "")),
        actor=str(actor.get("email") or actor.get("id") or "?"),
        actor_role=actor.get("role"),
        object_type=str(obj.get("type", "")),
        object_id=str(obj.get("id", "")),
        details=body.get("details") if isinstance(body.get("details"), dict) else {},
        entry_hash=entry.entry_hash,
        prev_hash=entry.prev_hash,
        intact=body_ok and hash_ok,
    )


def timeline_for(object_type: str, object_id: str, user: Any) -> list[TimelineEntry]:
    """Every ledger entry about one object, oldest first, if the user may see it (else []).

    The timeline of an evidence item includes its derivatives' entries (thumbnail made,
    fixity of the stripped copy...): they are part of the item's custody.
    """
    about = (LedgerEntry.object_type == object_type) & (LedgerEntry.object_id == object_id)
    if object_type == "evidence":
        derivative_ids = visible(
            select(Derivative.id).where(Derivative.evidence_id == object_id), Derivative, user
        )
        about = or_(
            about,
            (LedgerEntry.object_type == "derivative") & LedgerEntry.object_id.in_(derivative_ids),
        )
    stmt = (
        visible(select(LedgerEntry), LedgerEntry, user)
        .where(about)
        .order_by(LedgerEntry.seq)
        .limit(TIMELINE_LIMIT)
    )
    return [to_timeline_entry(entry) for entry in db.session.scalars(stmt)]


@dataclass(frozen=True)
class LedgerFilter:
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    actor_id: str | None = None  # a user id or "system:..."
    since: datetime | None = None  # naive UTC, inclusive
    until: datetime | None = None  # naive UTC, exclusive


def day_range(since, until) -> tuple[datetime | None, datetime | None]:
    """Dates picked in a form, as [since 00:00, the day after until 00:00) in UTC."""
    start = datetime.combine(since, datetime.min.time()) if since else None
    # After 9999-12-31 there is no next day, and nothing to exclude.
    end = (
        datetime.combine(until, datetime.min.time()) + timedelta(days=1)
        if until and until < date.max
        else None
    )
    return start, end


def actor_filter_value(text: str) -> str:
    """What the actor filter compares with: a user id for an email, or a system actor name."""
    text = text.strip()
    if text.startswith("system"):
        return text
    user_id = db.session.scalar(select(User.id).where(User.email == text.lower()))
    return user_id or "-"  # an unknown email matches no entry


def ledger_query(investigation: Investigation, user: Any, filters: LedgerFilter) -> Select:
    """The investigation's entries in ledger order, narrowed by the member's filters."""
    stmt = (
        visible(select(LedgerEntry), LedgerEntry, user)
        .where(LedgerEntry.investigation_id == investigation.id)
        .order_by(LedgerEntry.seq)
    )
    if filters.action:
        stmt = stmt.where(LedgerEntry.action == filters.action)
    if filters.object_type:
        stmt = stmt.where(LedgerEntry.object_type == filters.object_type)
    if filters.object_id:
        stmt = stmt.where(LedgerEntry.object_id == filters.object_id)
    if filters.actor_id:
        stmt = stmt.where(LedgerEntry.actor_id == filters.actor_id)
    if filters.since:
        stmt = stmt.where(LedgerEntry.time >= filters.since)
    if filters.until:
        stmt = stmt.where(LedgerEntry.time < filters.until)
    return stmt


def object_types_in(investigation: Investigation, user: Any) -> list[str]:
    """The object types this ledger mentions, for the filter's choices."""
    stmt = (
        visible(select(LedgerEntry.object_type), LedgerEntry, user)
        .where(LedgerEntry.investigation_id == investigation.id)
        .distinct()
        .order_by(LedgerEntry.object_type)
    )
    return list(db.session.scalars(stmt))
