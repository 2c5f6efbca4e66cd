"""Redacted copies of videos, recordings and PDFs made in the background, checked before queuing.

A reviewer's redaction is checked in the request (spans within the media's length, pages that
exist, something to remove) so refusals are shown at once; the copy itself (an ffmpeg
re-encode, or PDF pages rasterised) runs as a job (app/jobs), never in the web request. The job
payload holds ids, box geometry and times only: no content, no identities.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.auth.models import User
from app.casefiles.models import CaseFile
from app.casefiles.services.errors import CaseFileError
from app.casefiles.services.media_redaction import (
    create_redacted_media_copy,
    parse_media_redaction,
)
from app.casefiles.services.pdf_redaction import (
    PDF_MEDIA_TYPE,
    create_redacted_pdf_copy,
    parse_pdf_areas,
)
from app.extensions import db
from app.jobs.handle import JobFailed, JobHandle
from app.jobs.models import Job
from app.jobs.queue import enqueue
from app.vault.models import EvidenceItem, EvidenceKind

JOB_KIND = "media_redaction"
# The redaction page lists the item's latest jobs among this many of the kind.
RECENT_JOBS = 200


def redaction_kind(item: EvidenceItem) -> str | None:
    """'video', 'audio' or 'pdf' for what this page redacts; None for anything else."""
    if item.kind in (EvidenceKind.VIDEO.value, EvidenceKind.AUDIO.value):
        return item.kind
    if item.media_type == PDF_MEDIA_TYPE:
        return "pdf"
    return None


def media_facts(item: EvidenceItem) -> tuple[float | None, bool, bool]:
    """(duration in seconds, has a picture, has sound), probed from the original."""
    from app.casefiles.services.media_redaction import _probe
    from app.vault.storage import open_plaintext

    return _probe(open_plaintext(item.blob_key), item)


def pdf_page_count(item: EvidenceItem) -> int:
    import pypdfium2 as pdfium

    from app.vault.storage import open_plaintext

    with open_plaintext(item.blob_key).as_file() as plaintext:
        try:
            document = pdfium.PdfDocument(plaintext)
        except pdfium.PdfiumError as exc:
            raise CaseFileError(f"The PDF cannot be opened: {exc}.") from None
        try:
            return len(document)
        finally:
            document.close()


def check_redaction(item: EvidenceItem, raw: Any) -> Any:
    """The parsed redaction (MediaRedaction, or a list of PageArea) or a CaseFileError."""
    if redaction_kind(item) == "pdf":
        areas = parse_pdf_areas(raw)
        pages = pdf_page_count(item)
        beyond = sorted({a.page for a in areas if a.page > pages})
        if beyond:
            raise CaseFileError(
                f"Page {beyond[0]} does not exist: the document has {pages} pages.", "areas"
            )
        return areas
    duration, has_picture, has_sound = media_facts(item)
    redaction = parse_media_redaction(raw, duration, has_picture)
    if redaction.muted and not has_sound:
        raise CaseFileError("This video has no sound to mute.", "mute")
    return redaction


def start_redaction(
    casefile: CaseFile, case_item_id: str, user: Any, item: EvidenceItem, raw: Any
) -> Job:
    """Check the redaction now, then queue the job that makes the copy."""
    check_redaction(item, raw)
    payload = {
        "casefile_id": casefile.id,
        "case_item_id": case_item_id,
        "evidence_id": item.id,
        "user_id": user.id,
        "redaction": raw,
    }
    return enqueue(JOB_KIND, payload, created_by=user)


def run_redaction_job(job: JobHandle, payload: dict) -> None:
    casefile = db.session.get(CaseFile, payload["casefile_id"])
    item = db.session.get(EvidenceItem, payload["evidence_id"])
    user = db.session.get(User, payload["user_id"])
    if casefile is None or item is None:
        raise JobFailed("The item was removed before its copy could be made.")
    if user is None or not user.active:
        raise JobFailed("The account that asked for this copy is no longer active.")
    job.progress(10, "Making the redacted copy.", force=True)
    make = create_redacted_pdf_copy if redaction_kind(item) == "pdf" else create_redacted_media_copy
    try:
        make(casefile, user, item, payload["redaction"])
    except CaseFileError as exc:
        db.session.rollback()
        raise JobFailed(exc.message) from None
    db.session.commit()
    return None


def redaction_jobs(case_item_id: str, limit: int = 5) -> list[Job]:
    """The latest redaction jobs of one case-file item, newest first."""
    recent = db.session.scalars(
        select(Job).where(Job.kind == JOB_KIND).order_by(Job.created_at.desc()).limit(RECENT_JOBS)
    )
    return [job for job in recent if (job.payload or {}).get("case_item_id") == case_item_id][
        :limit
    ]
