"""Shared fixtures. Tests use only files inside the repo (data/, config/examples/)."""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
EXAMPLES = REPO / "config" / "examples"


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(*argv: str, cwd: Path | None = None) -> CliResult:
    """Run ``run.main`` in-process as a user would from ``cwd``; capture output and exit code."""
    from huice import cli as run

    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run.main(list(argv))
    finally:
        os.chdir(previous)
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def pytest_addoption(parser):
    parser.addoption("--regen-golden", action="store_true", default=False,
                     help="rewrite tests/golden/*.json from this run (review the diff)")


# The fast tier (make check) leaves out what is marked slow: every end-to-end test under
# tests/integration, and the few heavy tests elsewhere that carry @pytest.mark.slow.
INTEGRATION = REPO / "tests" / "integration"


# the longest tests, started first: pytest-xdist hands each worker a contiguous share and the
# idle one steals from the other's tail, so a long test collected last would end the run alone
LONGEST_FIRST = ("tests/integration/test_paper.py::test_killed_at_random_moments",
                 "tests/integration/test_paper_rehearsal.py", "tests/integration/test_sweep.py",
                 "tests/strategies/test_industry_rotation.py::test_example_from_the_cli",
                 "tests/test_golden.py::test_example_outputs_match_the_golden_record[industry",
                 "tests/integration/test_report_browser.py")


def _start_order(item) -> int:
    for rank, prefix in enumerate(LONGEST_FIRST):
        if item.nodeid.startswith(prefix):
            return rank
    return len(LONGEST_FIRST)


def pytest_sessionstart(session):
    """Under pytest-xdist the controller runs no test, yet hypothesis's pytest plugin imports
    hypothesis in the controller's terminal summary, about 1.5 s after the last test: import it
    while the workers run instead."""
    config = session.config
    if not hasattr(config, "workerinput") and config.getoption("numprocesses", None):
        threading.Thread(target=importlib.import_module,
                         args=("hypothesis.internal.observability",), daemon=True).start()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if INTEGRATION in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.slow)
    items.sort(key=_start_order)  # stable: the rest keep their order
