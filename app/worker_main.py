"""Job worker entry point: `python -m app.worker_main [--burst] [--queue NAME] [--in-process]`.

What `flask --app wsgi worker` does, in an app built without the command line's commands and
Alembic (CUSTOS_JOB_WORKER=1, as gunicorn's web workers leave them out): about 10 MB less in
the worker and in every horse it forks, which is where an export runs (issue 16's budget).

It runs under `python -OO` (it starts itself again so if it was not): the docstrings of the app
and of every library it loads are left out of the compiled code, about 7 MB less in the worker
and in an export's peak (docs/performance.md, "the export job's memory"). -OO also drops
`assert` statements; the app's own are type narrowings (`x is not None`) whose absence only
turns one error into another, never a check skipped.
"""

from __future__ import annotations

import argparse
import os
import sys

MODULE = "app.worker_main"


def optimized_command(argv: list[str], optimize: int) -> list[str] | None:
    """The command that runs this entry point again under -OO, or None if it already does."""
    if optimize >= 2:
        return None
    return [sys.executable, "-OO", "-m", MODULE, *argv]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run Custos's background jobs from Redis.")
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
    command = optimized_command(sys.argv[1:], sys.flags.optimize)
    if command is not None:
        os.execv(command[0], command)  # noqa: S606 - this very module, under -OO
    sys.exit(main())
