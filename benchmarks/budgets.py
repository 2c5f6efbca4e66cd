"""The budgets each benchmark checked in this run, and the summary table `make bench` ends with.

Each benchmark calls `record()` once per budget it checks; `benchmarks/__main__.py` prints
every recorded budget at the end, with the machine's load average sampled while the
benchmarks ran, so a figure over budget can be told apart from a busy machine.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Budget:
    bench: str
    name: str
    figure: str
    within: bool


_recorded: list[Budget] = []


def record(bench: str, name: str, figure: str, within: bool) -> bool:
    """Keep one checked budget for the summary; returns `within` for the caller's verdict."""
    _recorded.append(Budget(bench, name, figure, within))
    return within


def recorded() -> list[Budget]:
    return list(_recorded)


@dataclass
class LoadSampler:
    """Samples the 1-minute load average every few seconds in a background thread."""

    interval: float = 5.0
    samples: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> LoadSampler:
        self.samples.append(os.getloadavg()[0])
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.samples.append(os.getloadavg()[0])

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.samples.append(os.getloadavg()[0])

    def describe(self) -> str:
        mean = sum(self.samples) / len(self.samples)
        return (
            f"load average (1 min) during the run: mean {mean:.2f}, max {max(self.samples):.2f}, "
            f"{len(self.samples)} samples, on {os.cpu_count()} CPUs"
        )


def summary_table(budgets: list[Budget], load: str) -> str:
    """Every budget of the run, its figure and verdict, then the load line."""
    if not budgets:
        return f"no budget was checked\n{load}"
    bench_width = max(len("benchmark"), *(len(b.bench) for b in budgets))
    name_width = max(len("budget"), *(len(b.name) for b in budgets))
    figure_width = max(len("figure"), *(len(b.figure) for b in budgets))
    widths = (bench_width, name_width, figure_width)

    def row(bench: str, name: str, figure: str, verdict: str) -> str:
        texts = (bench, name, figure)
        cells = (f"{text:<{width}}" for text, width in zip(texts, widths, strict=True))
        return "  ".join((*cells, verdict))

    lines = [row("benchmark", "budget", "figure", "verdict")]
    for b in budgets:
        lines.append(row(b.bench, b.name, b.figure, "within" if b.within else "OVER"))
    over = sum(not b.within for b in budgets)
    lines.append(f"{len(budgets)} budgets, {over} over")
    lines.append(load)
    return "\n".join(lines)
