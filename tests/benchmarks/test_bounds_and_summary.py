"""The benchmark pieces that decide a verdict: the physical bounds and the summary table."""

from __future__ import annotations

import os

import pytest

from benchmarks.budgets import Budget, LoadSampler, summary_table
from benchmarks.physical_bounds import Bound, crypto_bound, disk_write_bound, lowest

pytestmark = pytest.mark.nodb


def test_the_bound_is_the_slowest_of_the_three():
    bounds = [Bound("disk", 100, 2.0), Bound("crypto", 100, 1.0), Bound("loopback", 100, 4.0)]
    assert lowest(bounds).name == "loopback"


def test_the_disk_bound_writes_every_byte_and_leaves_nothing(tmp_path):
    source = tmp_path / "source"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 7))
    target_dir = tmp_path / "disk"
    target_dir.mkdir()
    bound = disk_write_bound(source, target_dir)
    assert bound.size == source.stat().st_size and bound.seconds > 0
    assert list(target_dir.iterdir()) == []


def test_the_crypto_bound_covers_the_whole_file(tmp_path):
    source = tmp_path / "source"
    source.write_bytes(os.urandom(200 * 1024))
    bound = crypto_bound(source)
    assert bound.size == 200 * 1024 and bound.mib_per_s > 0


def test_the_summary_lists_every_budget_with_its_verdict_and_the_load():
    budgets = [
        Budget("vault", "1024 MiB: multipart >= 0.85x bound", "1.00x", True),
        Budget("vault", "1024 MiB: Custos peak RSS <= 120 MB", "125.6 MB", False),
    ]
    sampler = LoadSampler(interval=60).start()
    sampler.stop()
    table = summary_table(budgets, sampler.describe()).splitlines()
    assert table[0].split() == ["benchmark", "budget", "figure", "verdict"]
    assert table[1].endswith("within") and "1.00x" in table[1]
    assert table[2].endswith("OVER") and "125.6 MB" in table[2]
    assert table[3] == "2 budgets, 1 over"
    assert table[4].startswith("load average (1 min) during the run: mean ")


def test_the_pdq_benchmark_lands_in_the_summary(monkeypatch, capsys):
    """`make bench` prints PDQ against Pillow's decode in its closing table (a small photo
    here; the benchmark itself hashes 12 MP)."""
    from benchmarks import bench_pdq, budgets

    monkeypatch.setattr(budgets, "_recorded", [])
    monkeypatch.setattr(bench_pdq, "SIZE", (400, 300))
    monkeypatch.setattr(bench_pdq, "REPEATS", 1)
    monkeypatch.setattr(bench_pdq, "STORED", 10)
    bench_pdq.main()
    (budget,) = budgets.recorded()
    assert budget.bench == "pdq" and "Pillow full decode" in budget.name
    assert " ms vs " in budget.figure
    table = budgets.summary_table(budgets.recorded(), "load").splitlines()
    assert table[1].startswith("pdq ") and budget.name in table[1]
