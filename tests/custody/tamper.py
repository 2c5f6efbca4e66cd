"""What an attacker with write access to the database does to a ledger, in raw SQL."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.crypto.canonical import canonical_json
from app.custody.chain import body_digest, entry_hash
from app.custody.models import LedgerEntry
from app.extensions import db


def row(investigation, seq: int) -> LedgerEntry:
    db.session.expire_all()
    return db.session.scalar(
        select(LedgerEntry).where(
            LedgerEntry.investigation_id == investigation.id, LedgerEntry.seq == seq
        )
    )


def failure(result, reference: str) -> str:
    """The one stderr line about ``reference``; asserts the command failed."""
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if reference in line]
    assert len(lines) == 1, result.stderr
    return lines[0]


def rewrite_and_rehash(run, investigation, seq: int, actor_id: str) -> None:
    """Reassign entry ``seq`` to another actor, recompute every later hash, move the head."""
    entries = db.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.investigation_id == investigation.id, LedgerEntry.seq >= seq)
        .order_by(LedgerEntry.seq)
    ).all()
    prev = entries[0].prev_hash
    for entry in entries:
        body = bytes(entry.body)
        if entry.seq == seq:
            parsed = json.loads(body)
            parsed["actor"] = {"type": "system", "id": actor_id}
            body = canonical_json(parsed)
        digest = body_digest(body)
        this = entry_hash(entry.seq, prev, digest)
        run(
            "UPDATE custody_entries SET body = :body, body_sha256 = :digest, prev_hash = :prev,"
            " entry_hash = :hash, actor_id = :actor WHERE id = :id",
            body=body,
            digest=digest,
            prev=prev,
            hash=this,
            actor=json.loads(body)["actor"]["id"],
            id=entry.id,
        )
        prev = this
    run(
        "UPDATE custody_heads SET head_hash = :head WHERE investigation_id = :inv",
        head=prev,
        inv=investigation.id,
    )
    db.session.expire_all()


def truncate(run, investigation, keep: int) -> None:
    """Delete every entry after ``keep`` together with its checkpoints, and move the head back."""
    run(
        "DELETE FROM custody_checkpoints WHERE investigation_id = :inv AND seq > :keep",
        inv=investigation.id,
        keep=keep,
    )
    run(
        "DELETE FROM custody_entries WHERE investigation_id = :inv AND seq > :keep",
        inv=investigation.id,
        keep=keep,
    )
    run(
        "UPDATE custody_heads SET seq = :keep, head_hash = :head WHERE investigation_id = :inv",
        keep=keep,
        head=row(investigation, keep).entry_hash,
        inv=investigation.id,
    )
