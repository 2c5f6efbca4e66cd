"""The guarded updates that move a job's row between states, each on a connection of its own.

Every write is one UPDATE whose WHERE clause says which state (and which runner) it expects, so
two runners, a retry and a late redelivery can race without running a job twice or overwriting
each other. A connection of its own: progress is visible to the polling browser at once,
whatever the handler's own session holds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from app.extensions import db
from app.jobs.models import Job, JobState
from app.timeutil import utcnow


def claim(job_id: str, runner: str) -> bool:
    """Take a queued job for `runner` (compare-and-swap); False if another runner took it first."""
    table = Job.__table__
    now = utcnow()
    with db.engine.begin() as conn:
        claimed = conn.execute(
            update(table)
            .where(table.c.id == job_id, table.c.state == JobState.QUEUED.value)
            .values(
                state=JobState.RUNNING.value,
                started_at=now,
                heartbeat_at=now,
                runner=runner,
                message="Started.",
            )
        ).rowcount
    return bool(claimed)


def write_state(job_id: str, runner: str | None = None, **values: Any) -> None:
    """Write progress or an outcome; with `runner`, only while that runner still holds the row."""
    table = Job.__table__
    if values.get("state") in (JobState.DONE.value, JobState.FAILED.value):
        values["finished_at"] = utcnow()
    condition = table.c.id == job_id
    if runner is not None:
        condition &= (table.c.runner == runner) & (table.c.state == JobState.RUNNING.value)
    with db.engine.begin() as conn:
        conn.execute(update(table).where(condition).values(**values))


def requeue_failed(job_id: str) -> bool:
    """Put a failed job back to queued with its progress reset; False if it is not failed.

    The compare-and-swap on the state means two clicks on "Try again" start it once.
    """
    with db.engine.begin() as conn:
        changed = conn.execute(
            update(Job.__table__)
            .where(Job.__table__.c.id == job_id, Job.__table__.c.state == JobState.FAILED.value)
            .values(
                state=JobState.QUEUED.value,
                progress=0,
                message="Waiting to start again.",
                started_at=None,
                finished_at=None,
                result_path=None,
            )
        ).rowcount
    return bool(changed)


def mark_failed(job_id: str, message: str) -> None:
    """Record that a queued or running job will not finish, with the reason shown to users."""
    with db.engine.begin() as conn:
        conn.execute(
            update(Job.__table__)
            .where(
                Job.__table__.c.id == job_id,
                Job.__table__.c.state.in_([JobState.QUEUED.value, JobState.RUNNING.value]),
            )
            .values(state=JobState.FAILED.value, message=message, finished_at=utcnow())
        )
