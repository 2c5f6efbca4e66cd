"""A finished export's life after its job: who may fetch it, what is checked again at each
download, and how it ends (withdrawn with a witness's consent, or expired), issue 15 item 4
and issue 16 item 1.

An export belongs to the lawyer who asked for it: nobody else sees its status, downloads it
or retries it. At every download the requester's identity grant (when witnesses are named in
it) and every witness's consent are checked again; a bag whose witness has since withdrawn
is withdrawn on the spot. Ending an export deletes its file and appends a ledger entry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, select

from app.casefiles.models import CaseExport
from app.casefiles.services.destinations import rule_for
from app.casefiles.services.witnesses import consent_refusal
from app.custody.ledger import append_custody_event
from app.extensions import db
from app.intake.models import ConsentKind, ConsentPurpose, Witness
from app.investigations.access import may_see_identities
from app.investigations.models import Investigation
from app.timeutil import utcnow


def expiry_of(export: CaseExport) -> datetime | None:
    """When a finished export ends. Exports finished before expiry existed carry none: they
    end the retention period after they finished, like any other."""
    if export.expires_at is not None or export.finished_at is None:
        return export.expires_at
    return export.finished_at + _retention()


def _retention() -> timedelta:
    return timedelta(days=current_app.config["CUSTOS_EXPORT_RETENTION_DAYS"])


def is_live(export: CaseExport, now: datetime | None = None) -> bool:
    """Finished, not withdrawn, not past its expiry: the only state offered for download."""
    if export.finished_at is None or export.withdrawn_at is not None:
        return False
    return expiry_of(export) > (now or utcnow())


def end_export(export: CaseExport, actor: Any, action: str, reason: str) -> None:
    """Delete the export's file and record why, in the ledger and on the row (caller commits)."""
    if export.output_path:
        Path(export.output_path).unlink(missing_ok=True)
    export.withdrawn_at = utcnow()
    export.withdrawn_reason = reason[:300]
    append_custody_event(
        export.investigation_id,
        actor,
        action,
        "casefile",
        export.casefile_id,
        {"casefile_id": export.casefile_id, "export_id": export.id, "reason": reason[:300]},
    )


def consent_refusal_for(export: CaseExport) -> str | None:
    """Why a witness in the export no longer consents to its destination, or None."""
    ids = set(export.witness_ids or ()) | set(export.named_witness_ids or ())
    if not ids:
        return None
    purposes = rule_for(export.destination).purposes
    named = set(export.named_witness_ids or ())
    for witness in db.session.scalars(select(Witness).where(Witness.id.in_(ids))):
        wanted = purposes if witness.id in (export.witness_ids or []) else ()
        if witness.id in named:
            wanted = (*wanted, ConsentPurpose.NAMED.value)
        for purpose in wanted:
            refusal = consent_refusal(witness, purpose)
            if refusal:
                return refusal
    return None


def download_refusal(export: CaseExport, user: Any) -> str | None:
    """Why `user` may not download this export now, or None. The caller scoped the export
    to its requester; this re-checks what may have changed since it was made."""
    if export.withdrawn_at is not None:
        return f"This export was withdrawn: {export.withdrawn_reason}"
    if not is_live(export):
        return "This export has expired and was deleted."
    if export.named_witness_ids:
        investigation = db.session.get(Investigation, export.investigation_id)
        if not may_see_identities(investigation, user):
            return (
                "This export names witnesses, and you may no longer see witness identities "
                "in this investigation."
            )
    refusal = consent_refusal_for(export)
    if refusal:
        end_export(export, user, "export_withdrawn", f"Consent withdrawn: {refusal}")
        return f"This export was withdrawn: {export.withdrawn_reason}"
    return None


def withdraw_exports_of_witness(witness: Witness, actor: Any) -> int:
    """After a consent change: withdraw every live export that the witness's consent in force
    no longer covers. Returns how many were withdrawn."""
    withdrawn = 0
    candidates = db.session.scalars(
        select(CaseExport).where(
            CaseExport.investigation_id == witness.investigation_id,
            CaseExport.finished_at.is_not(None),
            CaseExport.withdrawn_at.is_(None),
        )
    )
    for export in candidates:
        holds = witness.id in (export.witness_ids or []) or witness.id in (
            export.named_witness_ids or []
        )
        if not holds:
            continue
        refusal = consent_refusal_for(export)
        if refusal:
            end_export(export, actor, "export_withdrawn", f"Consent withdrawn: {refusal}")
            withdrawn += 1
    return withdrawn


# Checks that keep an export past its retention (a legal hold on what it holds): each returns
# why, or None. Registered by the retention package, which case files do not import.
ExportKeeper = Callable[[CaseExport], str | None]
_EXPORT_KEEPERS: list[ExportKeeper] = []


def register_export_keeper(keeper: ExportKeeper) -> ExportKeeper:
    if keeper not in _EXPORT_KEEPERS:
        _EXPORT_KEEPERS.append(keeper)
    return keeper


def _kept(export: CaseExport) -> bool:
    return any(keeper(export) for keeper in _EXPORT_KEEPERS)


# What has happened since to what an export holds (an item destroyed): each returns lines for
# the export's page. Registered by the retention package, like the keepers above.
ExportNotes = Callable[[CaseExport], list[str]]
_EXPORT_NOTES: list[ExportNotes] = []


def register_export_notes(notes: ExportNotes) -> ExportNotes:
    if notes not in _EXPORT_NOTES:
        _EXPORT_NOTES.append(notes)
    return notes


def export_notes(export: CaseExport) -> list[str]:
    return [line for notes in _EXPORT_NOTES for line in notes(export)]


def expire_exports(now: datetime | None = None) -> int:
    """Delete finished exports past their retention (the worker's maintenance round and
    `flask case prune-exports` call this); each gets an `export_expired` ledger entry. An
    export a legal hold covers stays (its case file, its investigation or an item in it held)."""
    now = now or utcnow()
    due = list(
        db.session.scalars(
            select(CaseExport).where(
                CaseExport.withdrawn_at.is_(None),
                CaseExport.finished_at.is_not(None),
                or_(
                    CaseExport.expires_at <= now,
                    and_(
                        CaseExport.expires_at.is_(None),
                        CaseExport.finished_at <= now - _retention(),
                    ),
                ),
            )
        )
    )
    due = [export for export in due if not _kept(export)]
    for export in due:
        end_export(export, "system:retention", "export_expired", "Expired: retention ended.")
    db.session.commit()
    return len(due)


def withdraw_after_consent_change(witness: Witness, record: Any, actor: Any) -> None:
    """The consent hook case files register: a withdrawal ends the exports it no longer covers."""
    if record.kind == ConsentKind.WITHDRAWN.value:
        withdraw_exports_of_witness(witness, actor)


def record_download(export: CaseExport, user: Any) -> None:
    """One `downloaded` entry for the case file and one for every item in the bag."""
    details = {"casefile_id": export.casefile_id, "export_id": export.id}
    append_custody_event(
        export.investigation_id, user, "downloaded", "casefile", export.casefile_id, details
    )
    for item_type, item_id in export.item_refs or []:
        append_custody_event(
            export.investigation_id, user, "downloaded", item_type, item_id, details
        )
