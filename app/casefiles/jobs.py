"""The case files' background work: the export job, and the worker's export maintenance.

create_app registers them (`register_casefile_jobs`): the export kind, run by `run_export_job`, the
reviewers' mail (review_mail.py), redacted copies of videos, recordings and PDFs
(redaction_jobs.py), and two maintenance hooks: one removes what failed exports left
on disk, the other deletes finished exports past their retention (with a ledger entry each); one
deletes the snapshots of removed items whose undo window ended; a preload that loads the report's
PDF renderer once per worker; and the consent hook that withdraws finished exports when a witness
withdraws consent.
"""

from __future__ import annotations

from flask import Flask

from app.casefiles.services.export_lifecycle import expire_exports, withdraw_after_consent_change
from app.casefiles.services.exports import JOB_KIND, remove_abandoned_outputs, run_export_job
from app.casefiles.services.redaction_jobs import JOB_KIND as REDACTION_JOB_KIND
from app.casefiles.services.redaction_jobs import run_redaction_job
from app.casefiles.services.removals import purge_expired_removals
from app.casefiles.services.report import preload_pdf_renderer
from app.casefiles.services.review_mail import JOB_KIND as REVIEWER_MAIL
from app.casefiles.services.review_mail import send_reviewer_mail
from app.intake.services.consent import register_consent_hook
from app.jobs.registry import register_job_kind, register_maintenance, register_preload


def register_casefile_jobs(app: Flask) -> None:
    register_job_kind(app, JOB_KIND, run_export_job)
    register_job_kind(app, REVIEWER_MAIL, send_reviewer_mail)
    # Redacted copies of videos, recordings and PDFs: re-encoding takes minutes, not a request.
    register_job_kind(app, REDACTION_JOB_KIND, run_redaction_job)
    register_maintenance(app, remove_abandoned_outputs)
    # Each export renders its report with WeasyPrint: loading it (and the fonts) took about
    # 1.3 s of every export job (docs/performance.md, "Case-file export").
    register_preload(app, preload_pdf_renderer)
    register_maintenance(app, expire_exports)
    register_maintenance(app, purge_expired_removals)
    # Not a job, but the same kind of wiring: a withdrawal of consent ends the finished
    # exports holding that witness's testimony, in the withdrawal's own transaction.
    register_consent_hook(app, withdraw_after_consent_change)
