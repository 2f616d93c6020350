"""Timing helpers: alternate the candidates round by round so machine noise hits both alike."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def interleaved(candidates: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Run every candidate once per round, in turn; return each one's times in seconds."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for run in candidates.values():  # warm-up: imports, file cache
        run()
    for _ in range(rounds):
        for name, run in candidates.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def command(*args: str) -> Callable[[], None]:
    """A candidate that runs a command in a fresh interpreter (end-to-end, imports included)."""
    def run() -> None:
        subprocess.run([sys.executable, *args], cwd=REPO, check=True, capture_output=True)
    return run


def median(values: list[float]) -> float:
    return statistics.median(values)
