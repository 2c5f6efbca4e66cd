"""A gunicorn web worker leaves out what only the command line or a job needs (RSS budget)."""

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
    "print('alembic' in sys.modules, 'migrate' in app.extensions, 'backup' in app.cli.commands)"
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


def test_a_web_worker_does_not_load_alembic_or_the_commands(tmp_path):
    assert _probe(tmp_path, "1") == "False False False"


def test_the_job_worker_entry_point_does_not_load_alembic_or_the_commands(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    env["CUSTOS_INSTANCE_PATH"] = str(tmp_path)
    probe = (
        "import sys, app.worker_main; from app.jobs.worker import run_preloads; "
        "import os; os.environ['CUSTOS_JOB_WORKER'] = '1'; "
        "from app import create_app; app = create_app(); run_preloads(app); "
        "print('alembic' in sys.modules, 'migrate' in app.extensions, "
        "'backup' in app.cli.commands, 'weasyprint' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "False False False True"
    source = (ROOT / "app/worker_main.py").read_text()
    assert 'os.environ["CUSTOS_JOB_WORKER"] = "1"' in source


def test_the_job_worker_entry_point_starts_itself_again_under_OO():
    """Docstrings left out of the compiled code: about 7 MB less in an export's peak."""
    from app.worker_main import optimized_command

    assert optimized_command(["--burst", "--queue", "q"], 0) == [
        sys.executable,
        "-OO",
        "-m",
        "app.worker_main",
        "--burst",
        "--queue",
        "q",
    ]
    assert optimized_command(["--burst"], 1) is not None
    assert optimized_command(["--burst"], 2) is None


def test_the_job_worker_entry_point_still_names_a_missing_redis_url(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    env.pop("REDIS_URL", None)
    env["CUSTOS_INSTANCE_PATH"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "app.worker_main", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "REDIS_URL is not set" in done.stderr


def test_the_command_line_keeps_flask_db_and_the_commands(tmp_path):
    assert _probe(tmp_path, None) == "True True True"


def test_gunicorn_conf_marks_its_workers_as_web_workers():
    text = (ROOT / "gunicorn.conf.py").read_text()
    assert 'os.environ.setdefault("CUSTOS_WEB_WORKER", "1")' in text


WORKER_PROBE = (
    "import sys; import wsgi; from app.warmup import warm_up; warm_up(wsgi.app); "
    "assert wsgi.app.test_client().get('/healthz').status_code == 200; "
    "print({module!r} in sys.modules)"
)


@pytest.mark.parametrize(
    "module",
    [
        "rfc3161_client",
        "numpy",
        "pdqhash",
        "c2pa",
        "botocore",
        "alembic",
        "mako",
        "pygments",
        "rapidfuzz",
        "nh3",
        "PIL",
        "segno",
        "yaml",
        "defusedxml",
        "warcio",
    ],
)
def test_a_web_worker_does_not_load_what_only_jobs_need(tmp_path, module):
    """rfc3161-client (~4 MB) serves the maintenance round that asks a TSA; numpy and pdqhash
    (~12 MB) the processing job that hashes pictures, c2pa-python (a 23 MB native library)
    the processing job's C2PA check; botocore only the S3 blob store and S3 witness (this
    instance uses the local store and no witness), and through the backup command; Alembic,
    Mako and Pygments only `flask db`; rapidfuzz (~3.7 MB) only a search by name,
    nh3 (~1.5 MB) only a captured web page shown; Pillow (~4.7 MB with its libraries) a
    photo, segno (~1.7 MB) a QR code, PyYAML (~1 MB) the shipped vocabularies and the
    OpenAPI document, defusedxml an OpenRosa submission, warcio a web capture. None of them
    is a web worker's work, warmed up and serving."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    env.update(CUSTOS_INSTANCE_PATH=str(tmp_path), CUSTOS_WEB_WORKER="1")
    probe = WORKER_PROBE.format(module=module)
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "False"


DOCUMENT_PROBE = (
    "import sys; import wsgi; "
    "from app.duplicates.fingerprinting import fingerprint_step; "
    "from app.duplicates.pdq import implementation; "
    "from app.vault.models import EvidenceItem, EvidenceKind; "
    "implementation(); "
    "fingerprint_step(EvidenceItem(kind=EvidenceKind.DOCUMENT), None); "
    "print('numpy' in sys.modules, 'pdqhash' in sys.modules)"
)


def test_a_document_and_an_evidence_page_do_not_load_numpy(tmp_path):
    """Without a job queue the web worker processes each upload itself: the PDQ step skips a
    document before asking for its implementation, and the implementation's name (asked by
    every evidence page) comes from the package metadata, so neither imports pdqhash."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    env.update(CUSTOS_INSTANCE_PATH=str(tmp_path), CUSTOS_WEB_WORKER="1")
    done = subprocess.run(
        [sys.executable, "-c", DOCUMENT_PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "False False"


PIXEL_LIMIT_PROBE = (
    "import sys; from pathlib import Path; import wsgi; "
    "from app.vault.upload.sniff import check_image_dimensions; "
    "check_image_dimensions(Path(sys.argv[1]).read_bytes()[:65536]); print('accepted')"
)


def test_intake_loading_pillow_first_applies_custos_pixel_limit(tmp_path):
    """Pillow loads on first use, and the first use sets Custos's limit (100 MP, refused
    above twice that) before any image opens: a 179.6 MP photo, a bomb to Pillow's own
    default (89.5 MP, twice that 179.0 MP), is accepted by a fresh worker's intake."""
    from tests.helpers.media import png_bomb

    photo = tmp_path / "big.png"
    photo.write_bytes(png_bomb(13_400))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    env.update(CUSTOS_INSTANCE_PATH=str(tmp_path), CUSTOS_WEB_WORKER="1")
    done = subprocess.run(
        [sys.executable, "-c", PIXEL_LIMIT_PROBE, str(photo)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "accepted"


def test_the_rss_tool_reports_a_fresh_worker(tmp_path):
    """tools/worker_rss.py, the command docs/performance.md measures a worker with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    env.update(CUSTOS_INSTANCE_PATH=str(tmp_path), CUSTOS_WEB_WORKER="1")
    done = subprocess.run(
        [sys.executable, "tools/worker_rss.py"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert [line.split("  ")[0] for line in lines[:3]] == [
        "after create_app()",
        "after warm_up()",
        "after GET /healthz 200",
    ]
    assert all("VmRSS" in line and "VmHWM" in line for line in lines[:3])
    assert "botocore=False" in lines[3] and "numpy=False" in lines[3]


def test_gunicorn_conf_bounds_what_a_worker_receives_at_once(monkeypatch):
    """gunicorn.conf.py lowers gunicorn's largest recv() of a request body from 1 MiB to 256 KiB:
    what it receives beyond the piece intake asks for is held, and copied on each read, in the
    web worker during every upload (docs/performance.md, "A web worker's memory")."""
    from gunicorn.http.unreader import SocketUnreader

    # The file sets CUSTOS_WEB_WORKER: recorded here so that it is removed again afterwards.
    monkeypatch.setenv("CUSTOS_WEB_WORKER", "")
    monkeypatch.delenv("CUSTOS_WEB_WORKER")
    saved = SocketUnreader.max_body_chunk
    try:
        SocketUnreader.max_body_chunk = 1024 * 1024
        conf = ROOT / "gunicorn.conf.py"
        exec(compile(conf.read_text(), str(conf), "exec"), {"__name__": "gunicorn_conf"})  # noqa: S102
        assert SocketUnreader.max_body_chunk == 256 * 1024
    finally:
        SocketUnreader.max_body_chunk = saved
