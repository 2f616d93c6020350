"""What a killed paper loop runs: imported once by the kill test's forkserver, so that each
forked loop starts with huice already imported (tests/integration/test_paper.py)."""

from __future__ import annotations

import contextlib
import io
import os

from huice import cli
from huice.engine.paper.store import COMMIT_PAUSE_ENV


def run_paper_until_killed(config: str, workdir: str, pause: str) -> None:
    """``run.py paper CONFIG`` as the CLI runs it, in ``workdir``, with the store's
    fault-injection pause of ``pause`` seconds per committed bar."""
    os.chdir(workdir)
    os.environ[COMMIT_PAUSE_ENV] = pause
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(["paper", config, "--poll-seconds", "0", "--max-iterations", "200"])
    os._exit(code)
