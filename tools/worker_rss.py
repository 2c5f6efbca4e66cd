"""Resident memory of a fresh web worker: after create_app, after warm-up, after one request.

Run from the repository root as a gunicorn worker would be set up (docs/performance.md):
`CUSTOS_WEB_WORKER=1 CUSTOS_INSTANCE_PATH=/tmp/rss .venv/bin/python tools/worker_rss.py`.
It reads /proc/self/status (VmRSS now, VmHWM the peak) and lists the heavy optional modules
the worker holds; tests/test_web_worker.py keeps them out.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WATCHED = ("alembic", "mako", "pygments", "botocore", "boto3", "numpy", "pdqhash", "PIL", "pdb")


def memory_mb() -> str:
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return f"VmRSS {fields['VmRSS']:6.1f} MB  VmHWM {fields['VmHWM']:6.1f} MB"


def main() -> None:
    from app import create_app
    from app.warmup import warm_up

    app = create_app()
    print(f"after create_app()      {memory_mb()}")
    warm_up(app)
    print(f"after warm_up()         {memory_mb()}")
    status = app.test_client().get("/healthz").status_code
    print(f"after GET /healthz {status}  {memory_mb()}")
    print("loaded: " + " ".join(f"{name}={name in sys.modules}" for name in WATCHED))


if __name__ == "__main__":
    main()
