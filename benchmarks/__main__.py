"""`make bench`: run every benchmarks/bench_*.py in turn and print their tables."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    sys.path.insert(0, str(HERE.parent))
    worst = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.stem} ==", flush=True)
        module = importlib.import_module(f"benchmarks.{script.stem}")
        worst = max(worst, module.main() or 0)
        print(flush=True)
    return worst


if __name__ == "__main__":
    sys.exit(main())
