"""tools/test_passes.sh, the pytest step of `make test`: both passes at once, each result named.

A stand-in for Python plays pytest, so these checks take a second: it notes its arguments,
fails for the backend told to, and the SQLite pass waits for the PostgreSQL pass to have
started, which only a script running them side by side lets happen.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.nodb

ROOT = Path(__file__).resolve().parent.parent
STAND_IN = """#!/usr/bin/env bash
echo "$CUSTOS_TEST_DB pass args: $*"
if [ "$CUSTOS_TEST_DB" = postgresql ]; then
  touch "$MARKS/postgresql-started"
else
  for _ in $(seq 100); do [ -e "$MARKS/postgresql-started" ] && break; sleep 0.05; done
  [ -e "$MARKS/postgresql-started" ] && echo "sqlite saw the postgresql pass running"
fi
[ "$CUSTOS_TEST_DB" = "$FAIL" ] && exit 1
exit 0
"""


def run_passes(tmp_path: Path, fail: str = "", ci: bool = True) -> subprocess.CompletedProcess:
    stand_in = tmp_path / "python"
    stand_in.write_text(STAND_IN)
    stand_in.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TEST_DATABASE_URL")}
    env.update(PYTHON=str(stand_in), MARKS=str(tmp_path), FAIL=fail, TMPDIR=str(tmp_path))
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [str(ROOT / "tools" / "test_passes.sh"), "tests/test_config.py"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_both_passes_run_side_by_side_and_pass(tmp_path):
    result = run_passes(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "sqlite saw the postgresql pass running" in out
    assert "postgresql pass args: -m pytest -q --durations=30 -m not nodb and not once" in out
    assert out.index("===== pytest, SQLite pass") < out.index("===== pytest, PostgreSQL pass")
    assert out.index("===== pytest, PostgreSQL pass") < out.index("postgresql pass args")
    assert out.rstrip().endswith("pytest, SQLite pass: passed\npytest, PostgreSQL pass: passed")


@pytest.mark.parametrize("failing,named", [("postgresql", "PostgreSQL"), ("sqlite", "SQLite")])
def test_a_failing_pass_fails_the_step_and_is_named(tmp_path, failing, named):
    result = run_passes(tmp_path, fail=failing)
    assert result.returncode != 0
    assert f"pytest, {named} pass: FAILED (pytest exit status 1)" in result.stdout
    other = "SQLite" if named == "PostgreSQL" else "PostgreSQL"
    assert f"pytest, {other} pass: passed" in result.stdout


def test_outside_ci_without_a_database_url_the_postgresql_pass_says_it_was_skipped(tmp_path):
    result = run_passes(tmp_path, ci=False)
    assert result.returncode == 0
    assert "postgresql pass args" not in result.stdout
    assert "pytest, PostgreSQL pass: SKIPPED (set TEST_DATABASE_URL=" in result.stdout


@pytest.mark.parametrize("ports", [range(5200, 5220), range(5730, 5740)])
def test_the_two_passes_take_disjoint_halves_of_each_port_range(monkeypatch, ports):
    from tests.helpers.live_gunicorn import this_pass_share

    monkeypatch.setenv("CUSTOS_TEST_DB", "sqlite")
    sqlite_ports = this_pass_share(ports)
    monkeypatch.setenv("CUSTOS_TEST_DB", "postgresql")
    postgres_ports = this_pass_share(ports)
    assert set(sqlite_ports).isdisjoint(postgres_ports)
    assert set(sqlite_ports) | set(postgres_ports) == set(ports)
    assert len(sqlite_ports) == len(postgres_ports) >= 5


def test_the_postgresql_pass_leaves_out_only_the_walks_marked_once():
    """The English accessibility walk runs on both databases; the Arabic one in one pass."""
    collected = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-m",
            "not nodb and not once",
            "tests/e2e/test_accessibility.py",
            "tests/e2e/test_phone.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    assert "test_every_page_is_accessible[en]" in collected
    assert "test_every_page_is_accessible[ar]" not in collected
    assert "test_no_page_scrolls_sideways_on_a_phone" not in collected
    assert "test_a_seal_error_is_announced_and_focused" in collected
