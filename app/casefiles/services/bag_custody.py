"""The custody part of a case-file bag: the ledger export streamed in, counted for the report."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from app.casefiles.services.errors import ExportError
from app.extensions import db

if TYPE_CHECKING:
    from app.casefiles.services.bag_writer import BagWriter


def write_custody(writer: BagWriter) -> dict:
    """Stream the ledger export into the bag; what the report says of it, per object counts."""
    from app.custody.export import (
        CHECKPOINT_FILE,
        LEDGER_FILE,
        WITHHELD_FILE,
        LedgerExportError,
        export_ledger,
    )

    object_ids = [*writer.plan.object_ids, writer.casefile.id]
    # The ledger export (entries, checkpoint, proofs, timestamps) is staged in a private
    # folder outside the export directory and streamed in: it holds ids, hashes and staff
    # roles, never evidence or testimony (the bodies that would name more stay home).
    with tempfile.TemporaryDirectory(prefix="custos-ledger-") as staging:
        try:
            export_ledger(writer.investigation, object_ids, Path(staging))
        except LedgerExportError as exc:
            raise ExportError(f"The custody ledger cannot be exported: {exc}") from None
        files = {
            path.relative_to(staging).as_posix(): path.read_bytes()
            for path in sorted(Path(staging).rglob("*"))
            if path.is_file()
        }
    for name, data in files.items():
        writer.bag.add_bytes(f"custody/{name}", data)
    # export_ledger may have signed a checkpoint: a signed fact that stands on its own.
    # Commit it now, so the long work that follows holds no database write lock (on
    # SQLite a held lock would block the job's progress updates, and every other writer).
    db.session.commit()
    per_object: Counter[str] = Counter()
    for line in files[LEDGER_FILE].decode("utf-8").splitlines():
        per_object[json.loads(json.loads(line)["body"])["object"]["id"]] += 1
    statement = json.loads(files[CHECKPOINT_FILE])
    disclosure = json.loads(files.get(WITHHELD_FILE, b"{}"))
    from app.security.org_keys import signing_key

    return {
        "entries": statement.get("seq"),
        "disclosed": sum(per_object.values()),
        "withheld": disclosure.get("withheld_count", 0),
        "seq": statement.get("seq"),
        "head": statement.get("head"),
        "key_id": signing_key().key_id_hex(),
        "per_object": per_object,
    }
