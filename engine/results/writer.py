"""Writing a run's output folder atomically, with the marker that says huice wrote it."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import yaml

from huice.engine.results.formatting import json_safe
from huice.engine.results.outputs import OutputKind, check_output_folder, write_marker
from huice.engine.results.result import RunResult
from huice.feeds.store import shareable_mode


def _write_csv(frame: pd.DataFrame, path: Path, index: bool = False) -> None:
    frame.to_csv(path, index=index, lineterminator="\n")


def write_file_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary sibling renamed over it, so that a reader
    (or a crash) never sees half a file."""
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_csv_atomically(frame: pd.DataFrame, path: Path, index: bool = False) -> None:
    """A frame as CSV (``\\n`` line ends), written atomically."""
    write_file_atomically(path, frame.to_csv(index=index, lineterminator="\n"))


def write_folder(out_dir: Path, kind: OutputKind, write_files: Callable[[Path], None]) -> Path:
    """The one way an output folder is written: ``write_files(staging)`` fills a temporary
    sibling folder marked as a huice output of ``kind``, which replaces ``out_dir`` only when
    every file is complete, so a failure never leaves a half-written folder behind and nothing
    huice did not write is ever replaced (see :mod:`huice.engine.results.outputs`)."""
    out_dir = Path(out_dir)
    check_output_folder(out_dir, kind)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    os.chmod(staging, shareable_mode(directory=True))  # mkdtemp's 0700 ignores the umask
    try:
        write_marker(staging, kind)
        write_files(staging)
        previous = None
        check_output_folder(out_dir, kind)  # again: it may have changed meanwhile
        if out_dir.exists():
            previous = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            out_dir.rename(previous)
        staging.rename(out_dir)
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def write_run(result: RunResult, out_dir: Path,
              report_writer: Callable[[RunResult, Path], None] | None = None) -> Path:
    """Write every output file of one run into ``out_dir``, atomically (:func:`write_folder`):
    metrics.json, equity, trades, orders, fills, actions, positions, signals, the resolved
    config and, with ``report_writer``, report.html."""

    def write_files(staging: Path) -> None:
        (staging / "metrics.json").write_text(
            json.dumps(json_safe(result.metrics.to_dict()), indent=2, sort_keys=True,
                       allow_nan=False) + "\n", encoding="utf-8")
        equity = result.equity.copy()
        equity.index = equity.index.strftime("%Y-%m-%d")
        _write_csv(equity, staging / "equity.csv", index=True)
        _write_csv(result.trades, staging / "trades.csv")
        _write_csv(result.orders, staging / "orders.csv")
        _write_csv(result.fills, staging / "fills.csv")
        if result.actions is not None and len(result.actions):
            _write_csv(result.actions, staging / "actions.csv")
        _write_csv(result.positions, staging / "positions.csv")
        signals = result.signals.copy()
        signals.index = signals.index.strftime("%Y-%m-%d")
        _write_csv(signals, staging / "signals.csv", index=True)
        (staging / "config.yaml").write_text(
            yaml.safe_dump(result.resolved_config, sort_keys=False, allow_unicode=True),
            encoding="utf-8")
        if report_writer is not None:
            report_writer(result, staging / "report.html")

    return write_folder(out_dir, "backtest", write_files)
