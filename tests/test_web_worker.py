"""A gunicorn web worker leaves out what only the command line needs (Alembic: ~10 MB a worker)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.nodb

PROBE = (
    "import sys; from app import create_app; app = create_app(); "
    "print('alembic' in sys.modules, 'migrate' in app.extensions)"
)


def _probe(tmp_path: Path, web_worker: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    env["CUSTOS_INSTANCE_PATH"] = str(tmp_path)
    if web_worker is not None:
        env["CUSTOS_WEB_WORKER"] = web_worker
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_a_web_worker_does_not_load_alembic(tmp_path):
    assert _probe(tmp_path, "1") == "False False"


def test_the_command_line_keeps_flask_db(tmp_path):
    assert _probe(tmp_path, None) == "True True"


def test_gunicorn_conf_marks_its_workers_as_web_workers():
    text = (ROOT / "gunicorn.conf.py").read_text()
    assert 'os.environ.setdefault("CUSTOS_WEB_WORKER", "1")' in text


@pytest.mark.parametrize("module", ["rfc3161_client", "numpy", "pdqhash", "c2pa"])
def test_a_web_worker_does_not_load_what_only_jobs_need(tmp_path, module):
    """rfc3161-client (~4 MB) serves the maintenance round that asks a TSA; numpy and pdqhash
    (~12 MB) the processing job that hashes pictures, c2pa-python (a 23 MB native library)
    the processing job's C2PA check. None of them is a web worker's work."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    env.update(CUSTOS_INSTANCE_PATH=str(tmp_path), CUSTOS_WEB_WORKER="1")
    probe = f"import sys; import wsgi; print({module!r} in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "False"
