"""`make bench`: run every benchmarks/bench_*.py in turn, print their tables, then one summary."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    sys.path.insert(0, str(HERE.parent))
    from benchmarks.budgets import LoadSampler, recorded, summary_table

    sampler = LoadSampler().start()
    worst = 0
    try:
        for script in sorted(HERE.glob("bench_*.py")):
            print(f"== {script.stem} ==", flush=True)
            module = importlib.import_module(f"benchmarks.{script.stem}")
            worst = max(worst, module.main() or 0)
            print(flush=True)
    finally:
        sampler.stop()
    print("== summary ==")
    print(summary_table(recorded(), sampler.describe()), flush=True)
    return worst


if __name__ == "__main__":
    sys.exit(main())
