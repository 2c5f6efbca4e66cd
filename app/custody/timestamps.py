"""RFC 3161 timestamps of signed checkpoints: a queue the worker drains, never intake's wait.

Each worker maintenance round asks every configured TSA (CUSTOS_TSA_URLS) for a token over
the newest signed checkpoint of each investigation: the bytes stamped are its C2SP signed
note (so the token covers the signature too), hashed with SHA-256 (asked for explicitly;
rfc3161-client would default to SHA-512), with a fresh nonce and the TSA's certificate
requested. A reply is kept only if it grants a token whose imprint is that SHA-256, whose
nonce is ours and whose signer chains to a root in CUSTOS_TSA_ROOTS. Anything else (TSA
down or slow, garbage, another hash, another nonce, an unknown root) is recorded on the row
and retried later with exponential back-off; "timestamp pending" shows meanwhile.
"""

from __future__ import annotations

import hashlib
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cryptography import x509
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.custody.models import Checkpoint, CheckpointTimestamp
from app.timeutil import utcnow

log = logging.getLogger(__name__)

SHA256_OID = x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")
MAX_REPLY_BYTES = 64 * 1024
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
PER_ROUND = 50


class TimestampRefused(Exception):
    """A TSA's reply that is not a token we can accept (the message says why)."""


def tsa_urls() -> list[str]:
    return list(current_app.config.get("CUSTOS_TSA_URLS") or [])


def trusted_roots() -> list[x509.Certificate]:
    path = current_app.config.get("CUSTOS_TSA_ROOTS")
    if not path:
        return []
    return x509.load_pem_x509_certificates(open(path, "rb").read())  # noqa: SIM115


def queue_newest(session: Session) -> int:
    """Add a pending row per TSA for each investigation's newest signed (v2) checkpoint."""
    urls = tsa_urls()
    if not urls:
        return 0
    newest = (
        select(func.max(Checkpoint.id))
        .where(Checkpoint.note.is_not(None))
        .group_by(Checkpoint.investigation_id)
    )
    have = set(
        session.execute(
            select(CheckpointTimestamp.checkpoint_id, CheckpointTimestamp.tsa_url).where(
                CheckpointTimestamp.checkpoint_id.in_(newest)
            )
        ).all()
    )
    added = 0
    for checkpoint_id in session.scalars(newest):
        for url in urls:
            if (checkpoint_id, url) not in have:
                session.add(CheckpointTimestamp(checkpoint_id=checkpoint_id, tsa_url=url))
                added += 1
    session.flush()
    return added


def request_due(session: Session, now: datetime | None = None) -> tuple[int, int]:
    """Ask the TSAs for every pending row whose time has come: (stamped, failed)."""
    now = now or utcnow()
    rows = session.scalars(
        select(CheckpointTimestamp)
        .where(CheckpointTimestamp.token.is_(None), CheckpointTimestamp.next_attempt_at <= now)
        .order_by(CheckpointTimestamp.next_attempt_at)
        .limit(PER_ROUND)
    ).all()
    stamped = failed = 0
    for row in rows:
        note = bytes(session.get(Checkpoint, row.checkpoint_id).note)
        try:
            reply, gen_time = fetch_token(row.tsa_url, note)
        except TimestampRefused as exc:
            failed += 1
            row.attempts += 1
            row.last_error = str(exc)[:500]
            row.next_attempt_at = now + min(FIRST_RETRY * 2 ** (row.attempts - 1), LONGEST_RETRY)
            log.warning("custody timestamp from %s refused: %s", row.tsa_url, exc)
            continue
        stamped += 1
        row.token, row.gen_time, row.last_error = reply, gen_time, None
    return stamped, failed


def run_round(session: Session) -> tuple[int, int]:
    """One maintenance round: queue the newest checkpoints, then ask for what is due."""
    if not tsa_urls():
        return 0, 0
    queue_newest(session)
    result = request_due(session)
    session.commit()
    return result


def fetch_token(url: str, message: bytes) -> tuple[bytes, datetime]:
    """(the TSA's reply bytes, its time) for ``message``; TimestampRefused otherwise."""
    # Imported here: rfc3161-client costs a web worker about 4 MB and only the worker's
    # maintenance round asks a TSA (docs/performance.md, peak RSS budget).
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    request = (
        TimestampRequestBuilder()
        .data(message)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    if urlsplit(url).scheme not in ("http", "https"):
        raise TimestampRefused("a TSA URL is http:// or https://")
    http = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=request.as_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
        method="POST",
    )
    try:
        timeout = current_app.config.get("CUSTOS_TSA_TIMEOUT_SECONDS", 10)
        # The scheme is http(s), checked above: never file:// or another opener.
        with urllib.request.urlopen(http, timeout=timeout) as answer:  # noqa: S310  # nosec B310
            reply = answer.read(MAX_REPLY_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise TimestampRefused(f"the TSA did not answer ({exc})") from None
    if len(reply) > MAX_REPLY_BYTES:
        raise TimestampRefused("the reply is larger than any timestamp token")
    return reply, check_reply(reply, request, message)


def check_reply(reply: bytes, request, message: bytes) -> datetime:
    """The token's time if ``reply`` is an acceptable token for ``request``; else refused."""
    from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

    try:
        response = decode_timestamp_response(reply)
    except Exception as exc:  # noqa: BLE001 (the Rust parser raises several kinds)
        raise TimestampRefused(f"the reply is not a timestamp response ({exc})") from None
    roots = trusted_roots()
    if not roots:
        raise TimestampRefused("no trusted TSA roots are configured (CUSTOS_TSA_ROOTS)")
    try:
        imprint = response.tst_info.message_imprint
        if imprint.hash_algorithm != SHA256_OID:
            raise TimestampRefused("the token's imprint is not SHA-256")
        builder = VerifierBuilder.from_request(request)
        for root in roots:
            builder = builder.add_root_certificate(root)
        builder.build().verify(response, hashlib.sha256(message).digest())
    except VerificationError as exc:
        raise TimestampRefused(f"the token does not verify ({exc})") from None
    except ValueError as exc:
        raise TimestampRefused(f"the token cannot be read ({exc})") from None
    return response.tst_info.gen_time.replace(tzinfo=None)


def newest_status(session: Session, investigation_id: str) -> dict:
    """For the ledger page: the newest signed checkpoint, and the newest timestamped one."""
    newest = session.scalar(
        select(Checkpoint.seq)
        .where(Checkpoint.investigation_id == investigation_id, Checkpoint.note.is_not(None))
        .order_by(Checkpoint.id.desc())
        .limit(1)
    )
    stamped = session.execute(
        select(Checkpoint.seq, CheckpointTimestamp.gen_time, CheckpointTimestamp.tsa_url)
        .join(CheckpointTimestamp, CheckpointTimestamp.checkpoint_id == Checkpoint.id)
        .where(
            Checkpoint.investigation_id == investigation_id,
            CheckpointTimestamp.token.is_not(None),
        )
        .order_by(Checkpoint.id.desc())
        .limit(1)
    ).first()
    return {
        "configured": bool(tsa_urls()),
        "newest_seq": newest,
        "stamped": stamped,  # (seq, gen_time, tsa_url) or None
        "pending": newest is not None and (stamped is None or stamped.seq != newest),
    }
