"""Each example's run under the engine's own runner (``run.py backtest X --runner fast``), made
once per test session and shared by the tests that only read it: the golden test compares its
bytes with Cerebro's, the browser test opens its report.html. Under pytest-xdist the workers
share one folder; a lock file makes the first to ask run it while the others wait, and a run
is visible only once it has finished (written aside, then renamed)."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli


def shared_root(factory: pytest.TempPathFactory) -> Path:
    """One folder for the whole session: beside the workers' own temp folders under xdist."""
    base = factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "example-runs"
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # no flock (Windows): a lock directory, waited for
        while True:
            try:
                path.with_suffix(".dir").mkdir()
                break
            except FileExistsError:
                time.sleep(0.05)
        try:
            yield
        finally:
            path.with_suffix(".dir").rmdir()
        return
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def example_output(config: Path, root: Path) -> Path:
    """The folder ``run.py backtest <config> --runner fast`` wrote: read it, never change it."""
    out = root / config.stem
    with _locked(root / f"{config.stem}.lock"):
        if not out.is_dir():
            partial = root / f"{config.stem}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            result = run_cli("backtest", str(config), "--runner", "fast", "--out", str(partial))
            assert result.code == 0, result.stderr
            partial.rename(out)
    return out
