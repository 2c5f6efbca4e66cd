"""Which job kinds this app runs and which maintenance hooks its worker calls, per app.

app/jobs is machinery only: it knows no kind of work. Each package registers the work it owns
(the vault: evidence processing; custody: the fixity sweep; case files: exports and the removal
of their leftovers) from create_app, so a kind exists because the app said so, not because some
module happened to be imported. The registry lives on the app (`app.extensions`), not in a
module global: two apps in one process (tests, a CLI next to a server) never share kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from app.jobs.handle import JobHandle

# fn(handle, payload) -> the result's path, or None; raises JobFailed with a message for users.
JobHandler = Callable[[JobHandle, dict], str | None]
# Called by each worker maintenance round, in an app context; its return value is ignored.
MaintenanceHook = Callable[[], Any]
# Called once by `flask worker` before its first job, in an app context: what every job of a
# kind would otherwise load for itself (a forked horse inherits it from the worker).
PreloadHook = Callable[[], Any]

_EXTENSION = "custos.jobs"


@dataclass
class JobRegistry:
    handlers: dict[str, JobHandler] = field(default_factory=dict)
    maintenance: list[MaintenanceHook] = field(default_factory=list)
    preloads: list[PreloadHook] = field(default_factory=list)


def job_registry(app: Flask) -> JobRegistry:
    """The app's registry (empty until create_app has its packages register their work)."""
    return app.extensions.setdefault(_EXTENSION, JobRegistry())


def register_job_kind(app: Flask, kind: str, handler: JobHandler) -> None:
    """Make `kind` runnable on `app` by `handler`; a second, different handler is refused."""
    handlers = job_registry(app).handlers
    if handlers.get(kind, handler) is not handler:
        raise ValueError(f"job kind {kind!r} already has a handler")
    handlers[kind] = handler


def register_maintenance(app: Flask, hook: MaintenanceHook) -> None:
    """Have every worker maintenance round of `app` call `hook` (once, however often registered)."""
    hooks = job_registry(app).maintenance
    if hook not in hooks:
        hooks.append(hook)


def register_preload(app: Flask, hook: PreloadHook) -> None:
    """Have `flask worker` call `hook` once at start, before it forks any horse."""
    hooks = job_registry(app).preloads
    if hook not in hooks:
        hooks.append(hook)


def preload_hooks(app: Flask) -> list[PreloadHook]:
    return list(job_registry(app).preloads)


def is_registered(kind: str) -> bool:
    return kind in job_registry(current_app).handlers


def handler_for(kind: str) -> JobHandler:
    """The running app's handler for `kind`; LookupError if the app never registered it."""
    try:
        return job_registry(current_app).handlers[kind]
    except KeyError:
        raise LookupError(f"no handler registered for job kind {kind!r}") from None


def maintenance_hooks(app: Flask) -> tuple[MaintenanceHook, ...]:
    return tuple(job_registry(app).maintenance)
