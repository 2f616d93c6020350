"""Run a sweep: many backtests of one config in a local process pool (or on Ray), resumable.

Every finished run is appended to ``runs.jsonl`` in the output folder as soon as it completes;
starting the same sweep again skips the task ids found there. ``results.csv`` is written in task
order, so it is identical whatever the number of workers or the backend. Each task is planned
and validated once (:mod:`~huice.engine.sweep.plan`), run once (:mod:`~huice.engine.sweep.task`,
:mod:`~huice.engine.sweep.execute`), and the report's curves are the runs' own
(:mod:`~huice.engine.sweep.curves`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from loguru import logger
from tqdm import tqdm

from huice.config.errors import ConfigError
from huice.config.schema import RunConfig, ScreenConfig
from huice.engine.results.outputs import check_output_folder, write_marker
from huice.engine.results.writer import write_file_atomically
from huice.engine.run.data_gate import each_finding_told_once
from huice.engine.run.plugin import PluginFactory, StrategyPlugin
from huice.engine.sweep.curves import BestCurves
from huice.engine.sweep.execute import execute
from huice.engine.sweep.plan import SweepTask, plan_sweep
from huice.engine.sweep.report import write_sweep_report
from huice.engine.sweep.screen_report import screen_html
from huice.engine.sweep.screening import agreement, run_screen
from huice.engine.sweep.task import (
    SCALAR_METRICS,
    data_key,
    forget_markets,
    grouped_by_data,
    run_task,
    strategies_of,
    sweep_runner,
)


@dataclass(frozen=True)
class SweepResult:
    """What a finished sweep wrote."""

    out_dir: Path
    results: pd.DataFrame
    ranked: pd.DataFrame
    tasks: list[SweepTask]
    screened: pd.DataFrame | None = None  # sweep.screen: every task's screened metrics
    # task id -> equity frame (equity, benchmark) of the best distinct runs, the report's curves
    curves: dict[str, pd.DataFrame] = field(default_factory=dict)
    runs_made: int = 0  # runs made by this call (finished ones in the journal are not redone)


def read_finished(journal: Path) -> dict[str, dict[str, Any]]:
    """Rows already in ``runs.jsonl``. A line torn by a crash is dropped, and the journal is
    rewritten with the complete lines only, so that new rows are never appended to a fragment."""
    finished: dict[str, dict[str, Any]] = {}
    if not journal.is_file():
        return finished
    text = journal.read_text(encoding="utf-8")
    kept = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            logger.warning("dropping an incomplete line of {} (an interrupted run)", journal)
            continue
        finished[row["task_id"]] = row
        kept.append(line)
    clean = "".join(line + "\n" for line in kept)
    if clean != text:
        write_file_atomically(journal, clean)
    return finished


def rank(results: pd.DataFrame, by: str, descending: bool) -> pd.DataFrame:
    """Successful runs best first (ties: lower index first)."""
    if by not in results.columns:
        raise ConfigError(f"unknown metric '{by}'; one of {', '.join(SCALAR_METRICS)}",
                          where="sweep.rank_by")
    ok = results[results["status"] == "ok"].copy()
    ok["_key"] = -ok[by] if descending else ok[by]
    return ok.sort_values(["_key", "index"], kind="stable").drop(columns="_key")


def write_best_configs(ranked: pd.DataFrame, tasks: list[SweepTask], out_dir: Path,
                       top: int) -> list[Path]:
    """The top runs as runnable YAML (no sweep block; absolute paths)."""
    folder = out_dir / "best"
    folder.mkdir(exist_ok=True)
    by_id = {task.task_id: task for task in tasks}
    written = []
    for position, task_id in enumerate(ranked["task_id"].head(top), start=1):
        config = dict(by_id[task_id].config)
        config["name"] = f"{config['name']}_best{position}"
        path = folder / f"rank{position}_{task_id}.yaml"
        write_file_atomically(path, yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
        written.append(path)
    return written


def run_sweep(base: RunConfig, factory: PluginFactory, out_dir: Path, *, workers: int = 1,
              backend: str = "local", progress: bool | None = None,
              tasks: list[SweepTask] | None = None) -> SweepResult:
    """Plan, validate, run (skipping finished task ids) and write a sweep's outputs; each
    finding of the bars is logged once, however many runs and workers gate it."""
    with each_finding_told_once():
        return _run_sweep(base, factory, out_dir, workers, backend, progress, tasks)


def _exact_tasks(tasks: list[SweepTask], built: list[tuple[RunConfig, StrategyPlugin]],
                 base: RunConfig, screen: ScreenConfig | None
                 ) -> tuple[list[SweepTask], pd.DataFrame | None, float]:
    """The tasks to run exactly (all, or the screen's confirmed ones), the screen's table and
    its seconds; ``built`` is each task's config and strategy."""
    if screen is None:
        return tasks, None, 0.0
    sweep = base.sweep_block()
    screened, seconds = run_screen(tasks, built, sweep.rank_by, sweep.descending, screen)
    confirmed = set(screened.loc[screened["confirmed"] != "", "task_id"])
    return [task for task in tasks if task.task_id in confirmed], screened, seconds


def _run_all(todo: list[SweepTask], total: int, factory: PluginFactory, journal: Path,
             finished: dict[str, dict[str, Any]], curves: BestCurves, workers: int,
             backend: str, progress: bool | None, name: str) -> None:
    """Run ``todo``, journalling each row as it comes and keeping the best curves."""
    if not todo:
        return
    bar = tqdm(total=total, initial=total - len(todo), unit="run", desc=name,
               disable=None if progress is None else not progress)
    with journal.open("a", encoding="utf-8") as handle:
        for run in execute(todo, factory, workers, backend):
            handle.write(json.dumps(run.row, sort_keys=True) + "\n")
            handle.flush()
            finished[run.row["task_id"]] = run.row
            curves.offer(run.row, run.curve)
            bar.update(1)
    bar.close()


def _results_frame(rows: list[dict[str, Any]], tasks: list[SweepTask]) -> pd.DataFrame:
    columns = ["index", "task_id", *dict.fromkeys(k for t in tasks for k in t.overrides),
               "run_id", *SCALAR_METRICS, "fees_commission", "fees_stamp_duty",
               "fees_transfer_fee", "fees_dividend_tax", "fees_total", "status", "error"]
    return pd.DataFrame(rows).reindex(columns=columns)


def _run_sweep(base: RunConfig, factory: PluginFactory, out_dir: Path, workers: int,
               backend: str, progress: bool | None, tasks: list[SweepTask] | None) -> SweepResult:
    sweep = base.sweep_block()
    tasks = tasks if tasks is not None else plan_sweep(base)
    forget_markets()
    built = strategies_of(tasks, factory)
    exact_tasks, screened, screen_seconds = _exact_tasks(tasks, built, base, sweep.screen)
    check_output_folder(out_dir, "sweep")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_marker(out_dir, "sweep")
    journal = out_dir / "runs.jsonl"
    finished = read_finished(journal)
    curves = BestCurves(sweep.rank_by, sweep.descending)
    for task in exact_tasks:
        if task.task_id in finished:
            curves.offer(finished[task.task_id], None)
    data_keys = {task.task_id: data_key(*pair) for task, pair in zip(tasks, built)}
    todo = grouped_by_data([task for task in exact_tasks if task.task_id not in finished],
                           data_keys)
    logger.info("sweep {}: {} runs, {} already finished, {} workers ({})", base.name,
                len(exact_tasks), len(exact_tasks) - len(todo), workers, backend)
    _run_all(todo, len(exact_tasks), factory, journal, finished, curves, workers, backend,
             progress, base.name)
    by_id = {task.task_id: task for task in exact_tasks}
    again = curves.missing()
    for task_id in again:  # finished by an earlier, interrupted call: run for its curve
        curves.add(task_id, run_task(by_id[task_id], factory).curve)
    results = _results_frame([finished[task.task_id] for task in exact_tasks], tasks)
    write_file_atomically(out_dir / "results.csv", results.to_csv(index=False, lineterminator="\n"))
    ranked = rank(results, sweep.rank_by, sweep.descending)
    write_best_configs(ranked, tasks, out_dir, sweep.top)
    lead = ""
    if screened is not None and sweep.screen is not None:
        write_file_atomically(out_dir / "screen.csv",
                              screened.to_csv(index=False, lineterminator="\n"))
        found = agreement(screened, results, sweep.rank_by, sweep.descending)
        lead = screen_html(found, sweep.screen, len(tasks), screen_seconds,
                           base.report.language)
    kept = curves.curves()
    write_sweep_report(base, results, ranked, out_dir, runner=sweep_runner(base, factory(base)),
                       curve_of=kept.get, lead_html=lead)
    failed = int((results["status"] != "ok").sum())
    if failed:
        logger.warning("{} of {} runs failed; see the error column of results.csv", failed,
                       len(results))
    return SweepResult(out_dir=out_dir, results=results, ranked=ranked, tasks=tasks,
                       screened=screened, curves=kept, runs_made=len(todo) + len(again))
