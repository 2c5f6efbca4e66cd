"""gunicorn settings it reads from the working directory: each worker warms up before serving.

Command-line options (workers, bind, timeout; docs/operations.md) still apply on top.
"""

import os

# Web workers serve requests and never run migrations: Custos then skips loading Alembic.
os.environ.setdefault("CUSTOS_WEB_WORKER", "1")


def post_worker_init(worker):
    """Compile templates and load locale data now, not on the first visitor's request."""
    from app.warmup import warm_up

    app = worker.wsgi
    # Only Custos's own app (create_app in the `app` package): gunicorn also reads this file
    # when it serves something else from this folder, such as the benchmarks' baseline app.
    if getattr(app, "import_name", None) == "app" and "sqlalchemy" in app.extensions:
        warm_up(app)
