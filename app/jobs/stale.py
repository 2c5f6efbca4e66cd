"""Running jobs whose runner died: found by their silent heartbeat, marked failed with a reason.

A job's runner can die without a word: a gunicorn worker killed mid-export, a `flask worker`
and its work horse lost with their machine, a web process restarted by a deploy. Its row
would say "running" forever; instead, once its heartbeat (app/jobs/heartbeat.py) has been
silent for CUSTOS_JOB_STALE_SECONDS, it is failed with WORKER_STOPPED, which the user sees,
and `retry_job` (the retry button, `flask jobs retry`) runs it again. Handlers record their
custody entries in the transaction that delivers their result, so a run that died delivered
nothing and a retry records each effect once.

Called where someone would look: the progress endpoint of a job, `flask jobs list`, and a
`flask worker` at start and at each of its maintenance rounds.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from app.extensions import db
from app.jobs.models import Job, JobState
from app.timeutil import utcnow

log = logging.getLogger(__name__)

WORKER_STOPPED = (
    "The worker running this job stopped before it finished (it was restarted or its "
    "machine went down). Nothing was delivered; try again."
)


def _stale_condition(now: datetime):
    table = Job.__table__
    cutoff = now - timedelta(seconds=int(current_app.config["CUSTOS_JOB_STALE_SECONDS"]))
    return and_(
        table.c.state == JobState.RUNNING.value,
        or_(
            table.c.heartbeat_at < cutoff,
            and_(table.c.heartbeat_at.is_(None), table.c.started_at < cutoff),
        ),
    )


def reap_stale_jobs(job_id: str | None = None, now: datetime | None = None) -> list[str]:
    """Mark running jobs with a silent heartbeat failed (only `job_id` if given); their ids."""
    now = now or utcnow()
    table = Job.__table__
    condition = _stale_condition(now)
    if job_id is not None:
        condition = and_(condition, table.c.id == job_id)
    with db.engine.begin() as conn:
        stale = list(conn.scalars(select(table.c.id).where(condition)))
        if not stale:
            return []
        # The same condition again: a job that beat between the two statements is left alone.
        conn.execute(
            update(table)
            .where(condition, table.c.id.in_(stale))
            .values(state=JobState.FAILED.value, message=WORKER_STOPPED, finished_at=now)
        )
    for stale_id in stale:
        log.warning("job %s failed: its runner stopped beating", stale_id)
    return stale
