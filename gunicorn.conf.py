"""gunicorn settings it reads from the working directory: each worker warms up before serving.

Command-line options (workers, bind, timeout; docs/operations.md) still apply on top.
"""

import os

# Web workers serve requests and never run migrations: Custos then skips loading Alembic.
os.environ.setdefault("CUSTOS_WEB_WORKER", "1")

# gunicorn receives up to 1 MiB per recv() of a request body and keeps what the application has
# not asked for yet, copying it on each read: with intake reading 256 KiB pieces that held
# about 3 MB per upload (docs/performance.md, "A web worker's memory"). Its reads stay large
# enough to keep the GIL hand-offs rare that the 1 MiB bound was made for.
BODY_RECV_BYTES = 256 * 1024


def _bound_body_reads():
    from gunicorn.http.unreader import SocketUnreader

    if getattr(SocketUnreader, "max_body_chunk", 0) > BODY_RECV_BYTES:
        SocketUnreader.max_body_chunk = BODY_RECV_BYTES


_bound_body_reads()


def on_starting(server):
    """Tell the app how many workers will run, and stop now if its settings cannot serve them.

    Production refuses per-process rate-limit storage with several workers (config.py,
    rate_limit_storage_problem); checked here once, in the master, with the message on stderr,
    rather than as a traceback in each worker that fails to boot.
    """
    os.environ["CUSTOS_WEB_WORKERS"] = str(server.cfg.workers)
    if os.environ.get("CUSTOS_ENV", "").strip().lower() != "production":
        return
    from config import rate_limit_storage_problem

    problem = rate_limit_storage_problem(
        os.environ.get("RATELIMIT_STORAGE_URI") or "memory://", server.cfg.workers
    )
    if problem:
        server.log.error(problem)
        raise SystemExit(1)


def post_worker_init(worker):
    """Compile templates and load locale data now, not on the first visitor's request."""
    from app.warmup import warm_up

    app = worker.wsgi
    # Only Custos's own app (create_app in the `app` package): gunicorn also reads this file
    # when it serves something else from this folder, such as the benchmarks' baseline app.
    if getattr(app, "import_name", None) == "app" and "sqlalchemy" in app.extensions:
        warm_up(app)
