"""The heartbeat of a running job: a thread stamping `jobs.heartbeat_at` while the job runs."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.jobs.models import Job, JobState
from app.timeutil import utcnow

log = logging.getLogger(__name__)


class Heartbeat:
    """Stamps the job's row every `interval` seconds until stopped (its own connections).

    A beat is a one-row UPDATE guarded by the runner's name, so a runner whose job was
    taken from it (marked failed as stale, then retried elsewhere) never stamps the new run.
    """

    def __init__(self, engine: Engine, job_id: str, runner: str, interval: float) -> None:
        self._engine = engine
        self._job_id = job_id
        self._runner = runner
        self._interval = max(0.1, float(interval))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self._interval + 5)

    def _run(self) -> None:
        table = Job.__table__
        while not self._stop.wait(self._interval):
            try:
                with self._engine.begin() as conn:
                    conn.execute(
                        update(table)
                        .where(
                            table.c.id == self._job_id,
                            table.c.runner == self._runner,
                            table.c.state == JobState.RUNNING.value,
                        )
                        .values(heartbeat_at=utcnow())
                    )
            except SQLAlchemyError as exc:
                # The database is away for a moment: the next beat tries again. A job whose
                # beats stay missing for the stale window is failed; it is retryable.
                log.warning("job %s: heartbeat not written (%s)", self._job_id, type(exc).__name__)
