"""The case files' background work: the export job, and the worker's removal of its leftovers.

create_app registers both (`register_casefile_jobs`): the export kind, run by
`run_export_job`, and a maintenance hook, because a failed export's half-built bag holds
decrypted evidence and must not stay on disk until someone opens the export's page.
"""

from __future__ import annotations

from flask import Flask

from app.casefiles.services.exports import JOB_KIND, remove_abandoned_outputs, run_export_job
from app.jobs.registry import register_job_kind, register_maintenance


def register_casefile_jobs(app: Flask) -> None:
    register_job_kind(app, JOB_KIND, run_export_job)
    register_maintenance(app, remove_abandoned_outputs)
