"""Reading the ledger for people: an item's custody timeline, and the filtered ledger page.

What is shown comes from the entry bodies (the hashed record), not from the denormalised
columns, and each shown entry's own hashes are recomputed, so a page never displays an
entry that does not match its hash without saying so. The columns only choose and order
rows. Access goes through the investigation viewer like every other content query: a member
who does not read the whole ledger gets the entries about objects they may see, with other
people named by role and a pseudonymous handle (`InvestigationViewer.ledger_scope`,
`actor_label`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select

from app.auth.models import User
from app.custody.chain import body_digest, entry_hash
from app.custody.models import LedgerEntry
from app.extensions import db
from app.investigations.access import visible
from app.investigations.viewer import InvestigationViewer
from app.vault.models import Derivative

# An item page stays readable and fast; the ledger page has the rest (the partial links it).
TIMELINE_LIMIT = 500

# object type -> [(related object type, object id -> subquery of related ids)]: entries about
# those related objects are part of the object's timeline (e.g. an evidence item's duplicate
# links, registered by app/duplicates). The viewer's ledger scope still filters them.
RelatedIds = Callable[[str], Select]
_RELATED: dict[str, list[tuple[str, RelatedIds]]] = {}


def add_related_objects(object_type: str, related_type: str, ids_of: RelatedIds) -> None:
    entries = _RELATED.setdefault(object_type, [])
    if all(existing != related_type for existing, _ in entries):
        entries.append((related_type, ids_of))


@dataclass(frozen=True)
class TimelineEntry:
    """One ledger entry as the pages show it: who, what, when, and its hashes (never from where)."""

    seq: int
    investigation: str  # the reference the entry was written under
    time: str  # "YYYY-MM-DDTHH:MM:SS.ffffffZ", as recorded
    action: str
    actor: str  # an email, a role and handle, or a system actor such as "system:fixity"
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


def to_timeline_entry(entry: LedgerEntry, viewer: InvestigationViewer) -> TimelineEntry:
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
        actor=viewer.actor_label(
            str(actor.get("id") or "?"), actor.get("email"), actor.get("role")
        ),
        actor_role=actor.get("role"),
        object_type=str(obj.get("type", "")),
        object_id=str(obj.get("id", "")),
        details=body.get("details") if isinstance(body.get("details"), dict) else {},
        entry_hash=entry.entry_hash,
        prev_hash=entry.prev_hash,
        intact=body_ok and hash_ok,
    )


def timeline_for(
    object_type: str, object_id: str, viewer: InvestigationViewer
) -> list[TimelineEntry]:
    """Every ledger entry about one object, oldest first, if the viewer may see it (else []).

    The timeline of an evidence item includes its derivatives' entries (thumbnail made,
    fixity of the stripped copy...): they are part of the item's custody.
    """
    about = (LedgerEntry.object_type == object_type) & (LedgerEntry.object_id == object_id)
    if object_type == "evidence":
        derivative_ids = visible(
            select(Derivative.id).where(Derivative.evidence_id == object_id),
            Derivative,
            viewer.user,
        )
        about = or_(
            about,
            (LedgerEntry.object_type == "derivative") & LedgerEntry.object_id.in_(derivative_ids),
        )
    for related_type, ids_of in _RELATED.get(object_type, []):
        about = or_(
            about,
            (LedgerEntry.object_type == related_type)
            & LedgerEntry.object_id.in_(ids_of(object_id)),
        )
    stmt = (
        _scoped(viewer, select(LedgerEntry))
        .where(about)
        .order_by(LedgerEntry.seq)
        .limit(TIMELINE_LIMIT)
    )
    return [to_timeline_entry(entry, viewer) for entry in db.session.scalars(stmt)]


def _scoped(viewer: InvestigationViewer, stmt: Select) -> Select:
    """The viewer's investigation's entries, narrowed to the objects the viewer may see."""
    stmt = visible(stmt, LedgerEntry, viewer.user).where(
        LedgerEntry.investigation_id == viewer.investigation.id
    )
    return viewer.ledger_scope(stmt, LedgerEntry.object_type, LedgerEntry.object_id)


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


def actor_filter_value(text: str, viewer: InvestigationViewer) -> str:
    """What the actor filter compares with: a user id for an email, or a system actor name.

    A viewer who reads others by handle may filter by system actors and themselves only: an
    email of a colleague matches nothing, so the filter cannot tell who acted on what.
    """
    text = text.strip()
    if text.startswith("system"):
        return text
    user_id = db.session.scalar(select(User.id).where(User.email == text.lower()))
    if not viewer.sees_full_ledger and user_id != viewer.user.id:
        return "-"
    return user_id or "-"  # an unknown email matches no entry


def ledger_query(viewer: InvestigationViewer, filters: LedgerFilter) -> Select:
    """The entries the viewer may read in ledger order, narrowed by the member's filters.

    The object-id filter runs inside the viewer's scope: another member's object id matches
    nothing, exactly like an id that does not exist.
    """
    stmt = _scoped(viewer, select(LedgerEntry)).order_by(LedgerEntry.seq)
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


def object_types_in(viewer: InvestigationViewer) -> list[str]:
    """The object types of the entries the viewer may read, for the filter's choices."""
    stmt = _scoped(viewer, select(LedgerEntry.object_type)).distinct()
    stmt = stmt.order_by(LedgerEntry.object_type)
    return list(db.session.scalars(stmt))
