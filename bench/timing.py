"""Timing helpers: alternate the candidates round by round so machine noise hits both alike."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


PACKAGE_FOLDERS = ("src/huice", "engine", "config", "feeds", "strategies")


def compile_tree(tree: Path = REPO) -> None:
    """Write the bytecode of a checkout's package (``python -m compileall``), so that a fresh
    interpreter reads it as an installed user's does, also where PYTHONDONTWRITEBYTECODE is set
    (a machine that never writes it compiles every module on every start)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", *PACKAGE_FOLDERS], cwd=tree,
                   check=True, capture_output=True)


@contextmanager
def baseline_checkout(revision: str, folder: Path) -> Iterator[Path]:
    """A git worktree of ``revision`` at ``folder/baseline``, its bytecode compiled as this
    tree's is; removed afterwards."""
    base = folder / "baseline"
    subprocess.run(["git", "worktree", "add", "--detach", str(base), revision], cwd=REPO,
                   check=True, capture_output=True)
    try:
        compile_tree(base)
        yield base
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=REPO,
                       capture_output=True)


def sweep_command(tree: Path, config: Path | str, out: Path, workers: int) -> float:
    """Wall seconds of a whole ``run.py sweep`` of ``config`` in checkout ``tree`` (its own
    package first on the path), writing to ``out``."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "run.py", "sweep", str(config), "--out", str(out),
                    "--workers", str(workers)], cwd=tree, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(tree / "src")})
    return time.perf_counter() - start


def same_sweep_results(first: Path, second: Path) -> bool:
    """Whether two sweeps' results.csv agree on every figure of the columns both have (a
    baseline may predate some, such as fees_dividend_tax); task and run ids are left out:
    they hash the config's absolute paths, which differ between two checkouts."""
    import pandas as pd

    ids = ["task_id", "run_id"]
    old, new = (pd.read_csv(folder / "results.csv") for folder in (first, second))
    shared = [c for c in old.columns if c in new.columns and c not in ids]
    return len(old) == len(new) and old[shared].equals(new[shared])


def median(values: list[float]) -> float:
    return statistics.median(values)
