"""Where ledger entries came from: a keyed digest of the client address, kept for a while.

The address never enters a hashed body (issue 15): it could never be removed, and exports
would carry it to courts and opposing counsel. What is kept is HMAC-SHA256 under a key
derived from the master key, in custody_entry_origins, which no export reads, deleted after
CUSTOS_CUSTODY_ORIGIN_DAYS by each worker maintenance round (and `custody purge-origins`).
Equal digests tell "the same address" without naming it.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app, has_request_context, request
from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.custody.models import EntryOrigin, LedgerEntry
from app.security.master_key import derive_key
from app.timeutil import utcnow


@lru_cache(maxsize=4)
def _origin_key(master: bytes) -> bytes:
    return derive_key(master, "custody-origin")


def origin_digest(address: str) -> str:
    """The keyed digest stored for a client address."""
    key = _origin_key(current_app.extensions["custos.master_key"])
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def record_origin(session: Session, entry: LedgerEntry) -> None:
    """Keep the digest of the current request's client address for ``entry`` (if configured)."""
    if not has_request_context() or not request.remote_addr:
        return
    if current_app.config["CUSTOS_CUSTODY_ORIGIN_DAYS"] <= 0:
        return
    if "custos.master_key" not in current_app.extensions:
        return
    session.add(
        EntryOrigin(
            entry_id=entry.id, digest=origin_digest(request.remote_addr), recorded_at=entry.time
        )
    )


def purge_origins(session: Session, now: datetime | None = None) -> int:
    """Delete the digests older than CUSTOS_CUSTODY_ORIGIN_DAYS; return how many went."""
    days = current_app.config["CUSTOS_CUSTODY_ORIGIN_DAYS"]
    stmt = delete(EntryOrigin)
    if days > 0:
        stmt = stmt.where(EntryOrigin.recorded_at < (now or utcnow()) - timedelta(days=days))
    return session.execute(stmt).rowcount
