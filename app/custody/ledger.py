"""Appending to an investigation's custody ledger: the one way entries are written.

Entries are added to the caller's transaction (the caller commits, so an entry exists
exactly when the change it records does). Appends to one investigation are serialised on
its head row: `SELECT ... FOR UPDATE` on PostgreSQL, the database write lock on SQLite,
with the unique (investigation_id, seq) constraint as the backstop, so concurrent writers
wait for each other or fail loudly, and never fork the chain.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.crypto.canonical import canonical_json, utc_timestamp
from app.custody import tree
from app.custody.chain import GENESIS_HASH, body_digest, entry_hash
from app.custody.checkpoints import mark_touched
from app.custody.models import LedgerEntry, LedgerHead
from app.custody.origins import record_origin
from app.extensions import db
from app.investigations.models import Investigation


class CustodyAction(enum.StrEnum):
    """What can happen to evidence, from collection to export (issue 4, "What to build" 1)."""

    COLLECTED = "collected"
    RECEIVED = "received"
    METADATA_EXTRACTED = "metadata_extracted"
    DERIVATIVE_CREATED = "derivative_created"
    VIEWED = "viewed"
    STREAMED = "streamed"
    DOWNLOADED = "downloaded"
    ANNOTATED = "annotated"
    LINKED_TO_CASE = "linked_to_case"
    EXPORTED = "exported"
    TRANSFERRED = "transferred"
    FIXITY_VERIFIED = "fixity_verified"
    FIXITY_FAILED = "fixity_failed"
    ACCESS_GRANTED = "access_granted"
    ACCESS_REVOKED = "access_revoked"
    KEY_ROTATED = "key_rotated"
    TESTIMONY_SEALED = "testimony_sealed"
    ADDENDUM_ADDED = "addendum_added"
    # A translation of sealed testimony or of an addendum, revised and sealed by a second person
    TRANSLATION_SEALED = "translation_sealed"
    # Codes chosen for a language written as free text in testimony sealed before codes
    TESTIMONY_LANGUAGES_RECORDED = "testimony_languages_recorded"
    ASSESSED = "assessed"
    EXPORT_WITHDRAWN = "export_withdrawn"  # a finished export no longer offered (consent)
    EXPORT_EXPIRED = "export_expired"  # a finished export deleted at the end of its retention
    CONSENT_RECORDED = "consent_recorded"  # a witness's consent given, changed or withdrawn
    CONSENT_REGRANT_REQUESTED = "consent_regrant_requested"  # given back: awaits a 2nd reviewer
    CONSENT_REGRANT_REFUSED = "consent_regrant_refused"  # the second reviewer said no
    SIGNER_ADDED = "signer_added"  # an intake node's checkpoint key listed as trusted
    SIGNER_REVOKED = "signer_revoked"  # ... and no longer trusted (app/custody/signers.py)
    DUPLICATE_FOUND = "duplicate_found"  # same SHA-256 as an item of the investigation
    FINGERPRINTED = "fingerprinted"  # PDQ hashes of a photo or video's frames stored
    DUPLICATE_SUGGESTED = "duplicate_suggested"  # a near-duplicate (PDQ) awaits a reviewer
    DUPLICATE_CONFIRMED = "duplicate_confirmed"  # ... a reviewer says: the same capture
    DUPLICATE_REJECTED = "duplicate_rejected"  # ... a reviewer says: not the same capture
    CONSISTENCY_CHECKED = "consistency_checked"  # file facts compared with statements
    WEB_CAPTURE_CHECKED = "web_capture_checked"  # a WACZ/WARC checked against itself
    PROVENANCE_CHECKED = "provenance_checked"  # a C2PA manifest or ProofMode bundle verified
    PROOFMODE_KEY_PINNED = "proofmode_key_pinned"  # a sender's ProofMode key, pinned by a lawyer
    WACZ_KEY_PINNED = "wacz_key_pinned"  # an anonymous WACZ signing key pinned for an investigation
    WACZ_KEY_UNPINNED = "wacz_key_unpinned"  # ... and no longer pinned
    ACQUISITION_RECORDED = "acquisition_recorded"  # an item's acquisition record set or changed
    LINKED_TO_INCIDENT = "linked_to_incident"  # an item tied to an incident, with what it shows
    UNLINKED_FROM_INCIDENT = "unlinked_from_incident"  # ... and that link removed
    RECEIVED_VIA_OPENROSA = "received_via_openrosa"  # a phone app's submission became a draft
    SEALED_SUBMISSION_KEPT = "sealed_submission_kept"  # an intake node kept one it cannot open
    SEALED_SUBMISSION_OPENED = "sealed_submission_opened"  # ... the reading node opened it
    SEALED_SUBMISSION_REFUSED = "sealed_submission_refused"  # ... or could not
    LEGAL_HOLD_PLACED = "legal_hold_placed"  # a court's or prosecutor's order to keep
    LEGAL_HOLD_RELEASED = "legal_hold_released"  # ... lifted by two people (app/retention)
    DISPOSITION_BLOCKED = "disposition_blocked"  # a destruction refused because of a hold
    DESTROYED = "destroyed"  # an item's blob and derivatives removed; a tombstone remains
    IDENTITY_DESTROYED = "identity_destroyed"  # a witness's identity fields destroyed
    INVESTIGATION_CLOSED = "investigation_closed"  # retention may count from it (app/retention)
    INVESTIGATION_REOPENED = "investigation_reopened"  # ... and that closing no longer counts


# The ledger travels to courts and opposing counsel inside exports; it names staff (id,
# email, role) but never a witness or a secret. Details hold ids, hashes, sizes and types.
# These keys are refused at any depth as a last line of defence against a careless caller.
FORBIDDEN_DETAIL_KEYS = frozenset(
    {
        "name",
        "full_name",
        "witness_name",
        "identity",
        "real_name",
        "phone",
        "contact",
        "address",
        "filename",
        "original_filename",
        "transcript",
        "password",
        "secret",
        "token",
        "key",
        "private_key",
        "passphrase",
    }
)
MAX_DETAILS_BYTES = 8192
# session.info key: the appends an `appends_at_the_end` block holds back, in order.
HELD_APPENDS_KEY = "custody_held_appends"


def append_custody_event(
    investigation_id: str,
    actor: Any,
    action: str,
    object_type: str,
    object_id: str,
    details: dict,
) -> LedgerEntry | None:
    """Append one entry to the investigation's ledger, inside the caller's transaction.

    ``actor`` is a User (recorded as id, email and role; never the client address), a
    system actor name such as ``"system:fixity"``, or None for an unnamed system actor.
    Raises ValueError for an unknown action or details that are not plain, small JSON
    free of identities and secrets. Inside `appends_at_the_end` the entry is made at the
    block's end and None is returned.
    """
    try:
        action = CustodyAction(action).value
    except ValueError:
        raise ValueError(f"unknown custody action {action!r}") from None
    if not isinstance(object_type, str) or not object_type or len(object_type) > 32:
        raise ValueError("object_type must be a non-empty string of at most 32 characters")
    object_id = str(object_id)
    if not object_id or len(object_id) > 64:
        raise ValueError("object_id must be a non-empty string of at most 64 characters")
    _check_details(details)

    session = db.session
    investigation = session.get(Investigation, investigation_id)
    if investigation is None:
        raise ValueError(f"no investigation {investigation_id!r}")
    actor_record = _actor_record(actor)
    held = session.info.get(HELD_APPENDS_KEY)
    if held is not None:
        # A copy: the caller may change its dict after the call, the entry must not change.
        held.append((investigation, actor_record, action, object_type, object_id, _copy(details)))
        return None
    return _append(session, investigation, actor_record, action, object_type, object_id, details)


@contextmanager
def appends_at_the_end() -> Iterator[None]:
    """Hold the block's ledger appends back and make them, in order, as the block ends.

    An append locks the investigation's ledger head until the transaction commits, so a block
    that appends first and then works for seconds (media processing: decoding, ffmpeg,
    hashing, blob writes) would make every other writer of the investigation wait for it,
    down to a lawyer's page view and its `viewed` entry. Each append is checked when it is
    asked for; if the block raises, none is made. The entries' times are those of the end.
    """
    session = db.session
    if HELD_APPENDS_KEY in session.info:  # nested: the outermost block appends
        yield
        return
    held: list[tuple] = []
    session.info[HELD_APPENDS_KEY] = held
    try:
        yield
    finally:
        session.info.pop(HELD_APPENDS_KEY, None)
    for investigation, actor_record, action, object_type, object_id, details in held:
        _append(session, investigation, actor_record, action, object_type, object_id, details)


def _copy(details: dict) -> dict:
    return json.loads(canonical_json(details))


def _append(
    session: Session,
    investigation: Investigation,
    actor_record: dict[str, str],
    action: str,
    object_type: str,
    object_id: str,
    details: dict,
) -> LedgerEntry:
    investigation_id = investigation.id
    moment = datetime.now(UTC)
    body = canonical_json(
        {
            "investigation": investigation.reference,
            "actor": actor_record,
            "action": action,
            "object": {"type": object_type, "id": object_id},
            "time": utc_timestamp(moment),
            "details": details,
        }
    )

    seq, prev_hash, frontier = _lock_head(session, investigation_id)
    salt = tree.new_salt()
    frontier = tree.extend(session, investigation_id, seq, frontier, (body, salt))
    seq += 1
    body_sha256 = body_digest(body)
    this_hash = entry_hash(seq, prev_hash, body_sha256)
    entry = LedgerEntry(
        investigation_id=investigation_id,
        seq=seq,
        prev_hash=prev_hash,
        body=body,
        body_sha256=body_sha256,
        entry_hash=this_hash,
        leaf_salt=salt,
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor_id=actor_record["id"],
        time=moment.replace(tzinfo=None),
    )
    session.execute(
        update(LedgerHead)
        .where(LedgerHead.investigation_id == investigation_id)
        .values(seq=seq, head_hash=this_hash, updated_at=entry.time, frontier=frontier)
    )
    session.add(entry)
    # Flush now: a concurrent writer that slipped past the lock hits the unique constraint
    # here, in the caller's try block, rather than at some later commit.
    session.flush()
    record_origin(session, entry)
    mark_touched(session, investigation_id)
    return entry


def _lock_head(session: Session, investigation_id: str) -> tuple[int, str, bytes]:
    """Lock the investigation's head row (creating it if need be): (seq, head hash, frontier)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # pysqlite opens the transaction lazily at the first write: make this write first, so
        # the database write lock is held before the head is read and no other writer can
        # commit in between (the others wait out the busy timeout, or fail loudly).
        _ensure_head(session, investigation_id, dialect)
        session.execute(
            update(LedgerHead)
            .where(LedgerHead.investigation_id == investigation_id)
            .values(seq=LedgerHead.seq)
        )
    row = session.execute(
        select(LedgerHead.seq, LedgerHead.head_hash, LedgerHead.frontier)
        .where(LedgerHead.investigation_id == investigation_id)
        .with_for_update()
    ).first()
    if row is None:
        _ensure_head(session, investigation_id, dialect)
        row = session.execute(
            select(LedgerHead.seq, LedgerHead.head_hash, LedgerHead.frontier)
            .where(LedgerHead.investigation_id == investigation_id)
            .with_for_update()
        ).one()
    return row.seq, row.head_hash, row.frontier


def _ensure_head(session: Session, investigation_id: str, dialect: str) -> None:
    # INSERT ... ON CONFLICT DO NOTHING: two first appends racing both end up locking the
    # one row instead of one of them failing on the primary key.
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(LedgerHead)
        .values(investigation_id=investigation_id, seq=0, head_hash=GENESIS_HASH, frontier=b"")
        .on_conflict_do_nothing(index_elements=["investigation_id"])
    )


def _actor_record(actor: Any) -> dict[str, str]:
    """Who acted, as it goes into the entry body (where from is kept apart: origins.py)."""
    if actor is None:
        record = {"type": "system", "id": "system"}
    elif isinstance(actor, str):
        if not actor.startswith("system:") or len(actor) > 64:
            raise ValueError("a system actor is named 'system:<what>' (at most 64 characters)")
        record = {"type": "system", "id": actor}
    else:
        for attribute in ("id", "email", "role"):
            if not isinstance(getattr(actor, attribute, None), str):
                raise ValueError(f"actor has no {attribute}; pass a User, 'system:...' or None")
        record = {"type": "user", "id": actor.id, "email": actor.email, "role": actor.role}
    return record


def _check_details(details: Any) -> None:
    if not isinstance(details, dict):
        raise ValueError("details must be a dict")
    encoded = canonical_json(details)  # refuses NaN, huge integers, non-string keys
    if len(encoded) > MAX_DETAILS_BYTES:
        raise ValueError(f"details are limited to {MAX_DETAILS_BYTES} bytes of JSON")
    _refuse_identity_keys(details)


def _refuse_identity_keys(value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key.lower() in FORBIDDEN_DETAIL_KEYS:
                raise ValueError(
                    f"details key {key!r} is not allowed in the custody ledger: it may name a "
                    "person or hold a secret; record ids, hashes, sizes and types instead"
                )
            _refuse_identity_keys(inner)
    elif isinstance(value, list):
        for inner in value:
            _refuse_identity_keys(inner)
