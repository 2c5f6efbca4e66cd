"""What a running job's handler sees: its `JobHandle` (id, throttled progress) and `JobFailed`."""

from __future__ import annotations

import time
from typing import Any

from app.jobs.state import write_state

# Progress rows are written at most this often (each write is its own small transaction).
PROGRESS_INTERVAL_SECONDS = 0.5


class JobFailed(Exception):
    """A handler's expected failure; its message is shown to the user as it is."""


class JobHandle:
    """What a running handler sees: its job id and a throttled progress reporter."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self._last_write = 0.0
        self._last_percent = -1

    def progress(self, percent: float, message: str = "", force: bool = False) -> None:
        percent_int = max(0, min(100, int(percent)))
        now = time.monotonic()
        if not force and percent_int == self._last_percent:
            return
        if not force and now - self._last_write < PROGRESS_INTERVAL_SECONDS:
            return
        self._last_write, self._last_percent = now, percent_int
        values: dict[str, Any] = {"progress": percent_int}
        if message:
            values["message"] = message[:500]
        write_state(self.job_id, **values)
