"""Background job machinery: the `jobs` table, queueing, the thread and RQ backends, the worker.

It knows no kind of work and imports no domain package: each package registers the jobs it
owns from create_app (app/jobs/registry.py). Modules, from the bottom up: models, state (the
guarded row updates), handle (what a handler sees), heartbeat, registry, run (one job to its
end), backends (inline, thread, RQ), queue (enqueue, retry), stale (dead runners), worker (RQ).
"""
