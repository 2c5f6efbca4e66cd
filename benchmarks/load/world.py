"""The load test's people and its after-run checks, run inside the stack's environment.

    python -m benchmarks.load.world create OUT.json FIELD LAWYERS   accounts, tokens, membership
    python -m benchmarks.load.world jobs                             job counts by state (JSON)
    python -m benchmarks.load.world verify ACKS.jsonl OUT.json       every acknowledged upload

Everything is made through the app's services (accounts, TOTP enrollment, membership, API
tokens), so the ledger and audit log hold what a person's actions would have left. `verify`
finds each acknowledged upload in the database and reads its blob back through the app's own
reading path (`open_plaintext`: S3 ranged GETs, age decryption with the organisation identity).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sys
from pathlib import Path

REFERENCE = "LOAD-2026-01"
VERIFY_READ_CHUNKS = 512  # age chunks of 64 KiB


def _app():
    from app import create_app

    return create_app()


def create(out: Path, field_count: int, lawyer_count: int) -> None:
    from app.admin import services
    from app.api.tokens.services import create_token
    from app.auth.services import accounts
    from app.demo.accounts import enroll_totp
    from app.extensions import db

    app = _app()
    people: dict[str, list[dict]] = {"field": [], "lawyer": []}
    with app.app_context():
        admin = accounts.create_user("load-admin@load.example", "Load Admin", "admin")
        investigation = services.create_investigation(
            REFERENCE, "Load test", "Made by benchmarks/load", actor=None
        )
        db.session.commit()
        for role, count in (("field", field_count), ("lawyer", lawyer_count)):
            for number in range(1, count + 1):
                password = secrets.token_urlsafe(15)
                email = f"{role}-{number:02d}@load.example"
                user = accounts.create_user(email, f"{role} {number}", role, password, actor=admin)
                db.session.flush()
                services.grant_membership(investigation, user, actor=admin)
                person = {"email": email, "password": password}
                if role == "lawyer":
                    person["totp_secret"] = enroll_totp(user)
                else:
                    person["token"] = create_token(
                        user, "load test phone", "read write", None
                    ).secret
                db.session.commit()
                people[role].append(person)
        db.session.remove()
        db.engine.dispose()
    out.write_text(json.dumps({"reference": REFERENCE, **people}))


def job_states() -> dict[str, int]:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.jobs.models import Job

    app = _app()
    with app.app_context():
        rows = db.session.execute(select(Job.state, func.count()).group_by(Job.state)).all()
        failed = db.session.scalars(select(Job.message).where(Job.state == "failed")).all()
        db.engine.dispose()
    states = {state: int(count) for state, count in rows}
    return {"states": states, "failed_messages": sorted(set(failed))[:10]}


def _plaintext_sha256(blob_key: str) -> str:
    from app.vault.storage import open_plaintext

    digest = hashlib.sha256()
    reader = open_plaintext(blob_key)
    # One ranged GET per 32 MiB: moto reads a whole object for every ranged GET it answers.
    for chunk in reader.iter_range(0, reader.plaintext_size, buffer_chunks=VERIFY_READ_CHUNKS):
        digest.update(chunk)
    return digest.hexdigest()


def verify(acks_path: Path, out: Path) -> None:
    """Each acknowledged upload is a row whose blob decrypts to the bytes that were sent."""
    from sqlalchemy import func, select

    from app.auth.models import User
    from app.extensions import db
    from app.vault.blobstore.base import BlobNotFound
    from app.vault.models import EvidenceItem
    from app.vault.storage import blob_store

    acks = [json.loads(line) for line in acks_path.read_text().splitlines() if line.strip()]
    problems: list[str] = []
    verified = 0
    app = _app()
    with app.app_context():
        seen_ids: set[str] = set()
        for ack in acks:
            query = select(EvidenceItem)
            if ack.get("id"):
                query = query.where(EvidenceItem.id == ack["id"])
            else:
                # The web form answers 303 without an id: find the upload by its uploader and
                # the SHA-256 of the random bytes sent (unique per upload).
                query = query.join(User, EvidenceItem.uploaded_by_id == User.id).where(
                    User.email == ack["user"], EvidenceItem.sha256 == ack["sha256"]
                )
            rows = db.session.scalars(query).all()
            label = f"{ack['path']} upload by {ack['user']} ({ack['size']} bytes)"
            if len(rows) != 1:
                problems.append(f"{label}: {len(rows)} rows in the database")
                continue
            item = rows[0]
            seen_ids.add(item.id)
            if item.sha256 != ack["sha256"] or int(item.size) != ack["size"]:
                problems.append(f"{label}: recorded hash or size differs from what was sent")
                continue
            try:
                stored = _plaintext_sha256(item.blob_key)
            except BlobNotFound:
                problems.append(f"{label}: its blob is missing from the object store")
                continue
            if stored != ack["sha256"]:
                problems.append(f"{label}: its blob decrypts to other bytes")
                continue
            verified += 1
        total_rows = db.session.scalar(select(func.count(EvidenceItem.id)))
        incomplete = sum(1 for _ in blob_store().list_incomplete())
        db.engine.dispose()
    out.write_text(
        json.dumps(
            {
                "acknowledged": len(acks),
                "verified": verified,
                "problems": problems,
                "rows": int(total_rows or 0),
                "rows_not_acknowledged": int(total_rows or 0) - len(seen_ids),
                "incomplete_blobs": incomplete,
            }
        )
    )


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "create" and len(argv) == 4:
        create(Path(argv[1]), int(argv[2]), int(argv[3]))
    elif command == "verify" and len(argv) == 3:
        verify(Path(argv[1]), Path(argv[2]))
    elif command == "jobs":
        print(json.dumps(job_states()))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
