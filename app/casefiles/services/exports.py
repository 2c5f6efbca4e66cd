"""Starting case-file exports as background jobs, running them, and serving the result.

A web export always produces one file: the tarred bag age-encrypted to the requested
recipient, or, without one, to the organisation's own key (the plaintext bag never rests on
the server); the download then decrypts it on the fly. The job handler re-checks the
exporter's rights when it runs: a membership revoked in between stops the export.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.accesslog.models import ReadKind
from app.accesslog.services import record_read
from app.auth.models import User
from app.casefiles.models import CaseExport, CaseFile
from app.casefiles.services.destinations import (
    RULES,
    check_destination,
    destination_refusal,
    rule_for,
)
from app.casefiles.services.errors import CaseFileError, CaseFileForbidden
from app.casefiles.services.export_bagit import ExportRequest, export_casefile, validate_request
from app.casefiles.services.export_lifecycle import (
    download_refusal,
    expire_exports,
    is_live,
    record_download,
)
from app.casefiles.services.redaction import Exporter, plan_export
from app.casefiles.services.witnesses import casefile_witnesses, may_be_named
from app.crypto.age import AgeReader, FileSource, Recipient
from app.extensions import db
from app.investigations.access import may_see_identities, membership_for
from app.investigations.models import Investigation
from app.investigations.viewer import viewer_of
from app.jobs.handle import JobFailed, JobHandle
from app.jobs.models import Job, JobState
from app.jobs.queue import enqueue, retry_job
from app.jobs.stale import reap_stale_jobs
from app.timeutil import utcnow

JOB_KIND = "casefile_export"


def export_dir() -> Path:
    path = Path(current_app.config["CUSTOS_EXPORT_DIR"])
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def exporter_for(investigation: Investigation, user: Any) -> Exporter:
    if getattr(user, "role", None) != "lawyer" or membership_for(investigation, user) is None:
        raise CaseFileForbidden("Only lawyers of this investigation export its case files.")
    return Exporter(
        actor=user,
        label=f"{user.name} <{user.email}>" if getattr(user, "name", "") else user.email,
        user=user,
        may_see_identities=may_see_identities(investigation, user),
    )


def start_export(
    investigation: Investigation, casefile: CaseFile, user: Any, request: ExportRequest
) -> CaseExport:
    """Validate now (so the lawyer sees refusals at once), then queue the job."""
    request = validate_request(request)
    exporter = exporter_for(investigation, user)
    rule = rule_for(request.destination)
    check_destination(casefile, rule)
    plan_export(investigation, casefile, exporter, request.named_witness_ids, rule=rule)
    if request.access_reason is not None and user is not None:
        record_read(
            viewer_of(investigation, user),
            "casefile",
            casefile.id,
            ReadKind.EXPORT,
            label=casefile.reference,
            reason=request.access_reason,
            commit=False,
        )
    export = CaseExport(
        casefile_id=casefile.id,
        investigation_id=investigation.id,
        requested_by_id=user.id,
        files=request.files,
        destination=request.destination,
        for_whom=request.for_whom,
        recipient=request.recipient,
        unencrypted_reason=request.unencrypted_reason,
        location_precision=request.location_precision,
        named_witness_ids=list(request.named_witness_ids),
        excluded=[],
    )
    db.session.add(export)
    db.session.flush()
    job = enqueue(JOB_KIND, {"export_id": export.id}, created_by=user)
    export.job_id = job.id
    db.session.flush()
    return export


def run_export_job(job: JobHandle, payload: dict) -> str:
    export = db.session.get(CaseExport, payload["export_id"])
    if export is None:
        raise JobFailed("The export was removed before it could run.")
    if export.finished_at is not None and export.output_path:
        return export.output_path  # delivered by a run that died before saying so: not twice
    casefile = db.session.get(CaseFile, export.casefile_id)
    investigation = db.session.get(Investigation, export.investigation_id)
    user = db.session.get(User, export.requested_by_id)
    if user is None or not user.active:
        raise JobFailed("The account that asked for this export is no longer active.")
    try:
        exporter = exporter_for(investigation, user)
    except CaseFileForbidden as exc:
        raise JobFailed(exc.message) from None
    request = ExportRequest(
        files=export.files,
        for_whom=export.for_whom,
        recipient=export.recipient,
        named_witness_ids=tuple(export.named_witness_ids or ()),
        export_id=export.id,
        destination=export.destination,
        unencrypted_reason=export.unencrypted_reason,
        location_precision=export.location_precision,
    )
    if export.recipient:
        recipients = [Recipient.parse(export.recipient)]
    else:
        from app.security.org_keys import org_recipients

        recipients = org_recipients()
    out = _output_path(export)
    _remove_unfinished_output(out)
    try:
        result = export_casefile(casefile, exporter, request, out, recipients, job.progress)
    except CaseFileError as exc:
        db.session.rollback()
        raise JobFailed(exc.message) from None
    export.tagmanifest_sha256 = result.tagmanifest_sha256
    export.output_sha256 = result.output_sha256
    export.output_size = result.output_size
    export.output_path = str(out)
    export.excluded = [e.as_dict() for e in result.excluded]
    export.item_refs = result.item_refs
    export.witness_ids = result.witness_ids
    export.finished_at = utcnow()
    export.expires_at = export.finished_at + timedelta(
        days=current_app.config["CUSTOS_EXPORT_RETENTION_DAYS"]
    )
    db.session.commit()
    return str(out)


def _remove_unfinished_output(out: Path) -> None:
    """A retry after a killed run: drop what that run left (never offered: no finished_at)."""
    for leftover in (out, out.with_name(out.name + ".tmp")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(out.parent / f".{out.name}.partial", ignore_errors=True)


def nameable_witnesses(
    investigation: Investigation, casefile: CaseFile, user: Any
) -> list[tuple[str, str]]:
    """The case file's witnesses who consented to being named, as (id, "code — name"): only
    offered to a lawyer who may see identities, and never a witness outside the case file."""
    if not may_see_identities(investigation, user):
        return []
    return [
        (w.id, f"{w.code} — {w.full_name}")
        for w in casefile_witnesses(casefile)
        if w.full_name and may_be_named(w)
    ]


def export_plans(investigation: Investigation, casefile: CaseFile, user: Any) -> list[dict]:
    """For the export form, before anything starts: per destination, what would be left out
    and why, or why the destination is closed (a draft case file stays internal)."""
    exporter = exporter_for(investigation, user)
    plans = []
    for rule in RULES.values():
        refusal = destination_refusal(casefile, rule)
        excluded = (
            [] if refusal else plan_export(investigation, casefile, exporter, rule=rule).excluded
        )
        plans.append({"rule": rule, "refusal": refusal, "excluded": excluded})
    return plans


def exports_of(casefile: CaseFile, user: Any) -> list[CaseExport]:
    """The user's own exports of this case file, newest first (an export is its requester's)."""
    return list(
        db.session.scalars(
            select(CaseExport)
            .where(CaseExport.casefile_id == casefile.id, CaseExport.requested_by_id == user.id)
            .order_by(CaseExport.requested_at.desc())
        )
    )


def export_for(casefile: CaseFile, export_id: str, user: Any) -> CaseExport | None:
    """The export, if `user` asked for it: status, download and retry are theirs alone."""
    return db.session.scalar(
        select(CaseExport).where(
            CaseExport.id == export_id,
            CaseExport.casefile_id == casefile.id,
            CaseExport.requested_by_id == user.id,
        )
    )


def job_progress(export: CaseExport) -> dict:
    job = db.session.get(Job, export.job_id) if export.job_id else None
    if job is None:
        return {
            "state": JobState.FAILED.value,
            "progress": 0,
            "message": "No job.",
            "finished": True,
        }
    if job.state == JobState.RUNNING.value:
        reap_stale_jobs(job.id)  # a runner that died: the row then says so, with the reason
    db.session.refresh(job)
    folder = Path(current_app.config["CUSTOS_EXPORT_DIR"])
    if job.state == JobState.FAILED.value and export.finished_at is None and folder.is_dir():
        _remove_unfinished_output(folder / f"{export.id}.tar.age")
    return job.as_progress()


def _output_path(export: CaseExport) -> Path:
    return export_dir() / f"{export.id}.tar.age"


def remove_abandoned_outputs() -> int:
    """Delete what failed exports left in the export folder; how many exports were cleaned.

    A run killed mid-way leaves a half-written `.tmp` (ciphertext only: the bag is streamed
    into age), and versions before streaming left a `.ID.tar.age.partial` folder of
    decrypted copies. Nothing offers them, but they must not stay on disk: the worker's
    maintenance round, the export's progress page and `flask case prune-exports` call this.
    """
    folder = Path(current_app.config["CUSTOS_EXPORT_DIR"])
    if not folder.is_dir():
        return 0
    cleaned = 0
    failed = db.session.scalars(
        select(CaseExport)
        .join(Job, Job.id == CaseExport.job_id)
        .where(CaseExport.finished_at.is_(None), Job.state == JobState.FAILED.value)
    )
    for export in failed:
        out = folder / f"{export.id}.tar.age"
        leftovers = [out, out.with_name(out.name + ".tmp"), folder / f".{out.name}.partial"]
        if any(p.exists() for p in leftovers):
            _remove_unfinished_output(out)
            cleaned += 1
    return cleaned


def maintain_exports() -> tuple[int, int]:
    """The worker's maintenance round for exports: (failed ones cleaned, finished ones expired)."""
    return remove_abandoned_outputs(), expire_exports()


def retry_export(export: CaseExport) -> bool:
    """Start a failed export's job again (its dead run's files are removed by the job itself).

    False when there is nothing to retry: the job is not failed (running, queued, done) or
    has gone. The caller has scoped the export through the case file (access.py).
    """
    if not export.job_id:
        return False
    return retry_job(export.job_id)


def download_ready(export: CaseExport) -> bool:
    return bool(export.output_path and is_live(export) and Path(export.output_path).is_file())


def parse_precision(raw: str | None) -> int | None:
    """The form's choice of location precision: None (left out) or decimal places."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if raw not in {"0", "1", "2"}:
        raise CaseFileError("Choose how precise the location may be.", "location_precision")
    return int(raw)


def destination_label(export: CaseExport) -> str:
    return rule_for(export.destination).label


def download_or_refusal(
    casefile: CaseFile, export: CaseExport, user: Any
) -> Iterator[bytes] | CaseFileError:
    """The bag's bytes, or the refusal found at download time; a consent withdrawal found then
    is recorded all the same, so the caller commits either way."""
    try:
        return open_download(casefile, export, user)
    except CaseFileError as refusal:
        return refusal


def download_name(casefile: CaseFile, export: CaseExport) -> str:
    stamp = export.requested_at.strftime("%Y%m%d-%H%M")
    return f"{casefile.reference}-{stamp}.tar" + (".age" if export.recipient else "")


def open_download(casefile: CaseFile, export: CaseExport, user: Any) -> Iterator[bytes]:
    """The export's bytes for the browser, recorded in the ledger as a download of each item.

    Checked again first (identity grant, every witness's consent): CaseFileForbidden says
    why it may not be downloaded any more. For a recipient: the .tar.age as it is.
    Otherwise the tar, decrypted chunk by chunk.
    """
    refusal = download_refusal(export, user)
    if refusal:
        raise CaseFileForbidden(refusal)
    record_download(export, user)
    path = Path(export.output_path)
    if export.recipient:
        return _file_chunks(path)
    from app.security.org_keys import org_identities

    source = FileSource(path)
    reader = AgeReader.open(source, org_identities())

    def chunks() -> Iterator[bytes]:
        try:
            yield from reader.iter_all()
        finally:
            source.close()

    return chunks()


def _file_chunks(path: Path, block: int = 1024 * 1024) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(block):
            yield chunk
