"""The `jobs` table: one row per background job, its state, progress and result."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.security.encrypted_type import ClientIdMixin
from app.timeutil import utcnow


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(ClientIdMixin, db.Model):
    __tablename__ = "jobs"

    kind: Mapped[str] = mapped_column(String(40), index=True)
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED.value, index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # 0-100
    # Shown to the user who started the job: ids and counts, never content or identities.
    message: Mapped[str] = mapped_column(String(500), default="")
    result_path: Mapped[str | None] = mapped_column(String(500))
    # Plain ids and options the handler needs; no secrets, no personal data (RQ will store it).
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Written every CUSTOS_JOB_HEARTBEAT_SECONDS while the job runs (app/jobs/heartbeat.py);
    # a running job that stops beating lost its runner and is failed by app/jobs/stale.py.
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Who holds the running job: "rq:<rq job id>" or "thread:<host>:<pid>" (no personal data).
    runner: Mapped[str | None] = mapped_column(String(120))

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE.value, JobState.FAILED.value)

    def as_progress(self) -> dict:
        """What the progress endpoint returns (static/js/job_progress.js reads it)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "progress": self.progress,
            "message": self.message,
            "finished": self.finished,
        }
