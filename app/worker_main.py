"""Job worker entry point: `python -m app.worker_main [--burst] [--queue NAME] [--in-process]`.

What `flask --app wsgi worker` does, in an app built without the command line's commands and
Alembic (CUSTOS_JOB_WORKER=1, as gunicorn's web workers leave them out): about 10 MB less in
the worker and in every horse it forks, which is where an export runs (issue 16's budget).
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="Run the jobs waiting now, then exit.")
    parser.add_argument("--queue", dest="queues", action="append", default=[], metavar="NAME")
    parser.add_argument("--in-process", action="store_true", help="No forked horse per job.")
    args = parser.parse_args(argv)
    os.environ["CUSTOS_JOB_WORKER"] = "1"
    from redis.exceptions import RedisError

    from app import create_app
    from app.jobs.worker import serve

    app = create_app()
    try:
        serve(app, args.queues, args.burst, args.in_process)
    except (RedisError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
