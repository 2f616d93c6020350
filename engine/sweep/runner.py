"""Run a sweep: many backtests of one config in a local process pool (or on Ray), resumable.

Every finished run is appended to ``runs.jsonl`` in the output folder as soon as it completes;
starting the same sweep again skips the task ids found there. ``results.csv`` is written in task
order, so it is identical whatever the number of workers or the backend.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from loguru import logger

from huice.config.errors import ConfigError, HuiceError
from huice.config.schema import RunConfig
from huice.config.validation import config_error_from
from huice.engine.results.metrics import Metrics
from huice.engine.results.outputs import check_output_folder, write_marker
from huice.engine.results.result import RunResult, RunSummary
from huice.engine.results.writer import write_file_atomically
from huice.engine.run.assembly import market_of, run_backtest, run_summary
from huice.engine.run.data_gate import each_finding_told_once
from huice.engine.run.plugin import PluginFactory, StrategyPlugin
from huice.engine.sweep.plan import SweepTask, plan_sweep
from huice.feeds.csv_source import read_bars
from huice.feeds.market import MarketData

SCALAR_METRICS = ("total_return", "annual_return", "buy_and_hold_return", "benchmark_return",
                  "excess_vs_buy_and_hold", "excess_vs_benchmark", "max_drawdown", "longest_drawdown_days",
                  "sharpe", "volatility", "trades", "fills", "turnover", "exposure",
                  "slippage_cost", "final_equity", "start", "end", "bars")

def metrics_row(task: SweepTask, metrics: Metrics | None, error: str = "") -> dict[str, Any]:
    """One line of results.csv."""
    row: dict[str, Any] = {"index": task.index, "task_id": task.task_id}
    row.update(task.overrides)
    if metrics is None:
        row.update({"run_id": "", "status": "error", "error": error})
        return row
    row["run_id"] = metrics["run_id"]
    row.update({key: metrics[key] for key in SCALAR_METRICS})
    row.update({f"fees_{kind}": value for kind, value in metrics["fees"].items()})
    row.update({"status": "ok", "error": ""})
    return row


def sweep_runner(config: RunConfig, plugin: StrategyPlugin) -> str:
    """The config's runner, else fast for huice strategies (cerebro for backtrader ones)."""
    from huice.engine.run.native import NativeStrategy

    return config.runner or ("cerebro" if isinstance(plugin, NativeStrategy) else "fast")


_markets: OrderedDict[str, MarketData] = OrderedDict()
MARKETS_KEPT = 8  # tasks come grouped by data (a grid's first key varies slowest)


def forget_markets() -> None:
    """Drop this process's shared markets: each sweep starts from the files as they are now
    (a notebook that fixes a bar file between two sweeps gets the fixed bars)."""
    _markets.clear()


def worker_market(config: RunConfig, plugin: StrategyPlugin) -> MarketData:
    """The bars of a task, loaded once per worker for every task that reads the same data with
    the same symbols (a grid over strategy parameters shares one market): the files, the
    catalog, validation, windowing and the bars' fingerprint are not redone per run."""
    key = json.dumps([config.data.model_dump(mode="json"), plugin.symbols()], sort_keys=True)
    market = _markets.get(key)
    if market is None:
        market = market_of(config, plugin)
        _markets[key] = market
        if len(_markets) > MARKETS_KEPT:
            _markets.popitem(last=False)
    else:
        _markets.move_to_end(key)
    return market


def _task_run(task: SweepTask, factory: PluginFactory
              ) -> tuple[RunConfig, StrategyPlugin, MarketData, str]:
    config = RunConfig.model_validate(task.config)
    plugin = factory(config)
    return config, plugin, worker_market(config, plugin), sweep_runner(config, plugin)


def run_task_result(task: SweepTask,
                    factory: PluginFactory) -> tuple[dict[str, Any], RunResult | None]:
    """Run one task with every ledger table (walk-forward's test folds need the fills): its
    results.csv row and its whole result (None when it failed). User errors become an
    ``error`` row, not a crash."""
    try:
        config, plugin, market, runner = _task_run(task, factory)
        result = run_backtest(config, plugin, market=market, progress=False, runner=runner)
    except HuiceError as exc:
        return metrics_row(task, None, str(exc)), None
    return metrics_row(task, result.metrics), result


def run_task_summary(task: SweepTask,
                     factory: PluginFactory) -> tuple[dict[str, Any], RunSummary | None]:
    """Run one task keeping only its metrics and equity (:func:`run_summary`): its
    results.csv row and its summary (None when it failed)."""
    try:
        config, plugin, market, runner = _task_run(task, factory)
        summary = run_summary(config, plugin, market, runner=runner)
    except HuiceError as exc:
        return metrics_row(task, None, str(exc)), None
    return metrics_row(task, summary.metrics), summary


def run_task(task: SweepTask, factory: PluginFactory) -> dict[str, Any]:
    """Run one task in a worker: its results.csv row only (what crosses the process
    boundary)."""
    return run_task_summary(task, factory)[0]


def validate_tasks(tasks: Iterable[SweepTask], factory: PluginFactory
                   ) -> list[tuple[RunConfig, StrategyPlugin]]:
    """Check every run's config and strategy params before anything runs; each task's
    validated config and strategy, in order (the screen reuses them)."""
    from pydantic import ValidationError

    built = []
    for task in tasks:
        where = f"sweep run {task.index} ({', '.join(f'{k}={v}' for k, v in task.overrides.items())})"
        try:
            config = RunConfig.model_validate(task.config)
            built.append((config, factory(config)))
        except ValidationError as exc:
            error = config_error_from(exc, RunConfig, source="", lines={})
            raise ConfigError(f"{error.where}: {error.message}", where=where) from exc
        except HuiceError as exc:
            raise ConfigError(f"{exc.where + ': ' if exc.where else ''}{exc.message}",
                              where=where) from exc
    return built


def preload_bars(tasks: Iterable[SweepTask], factory: PluginFactory) -> int:
    """Parse every bar file the tasks use once, and gate every distinct market, before the
    workers fork: they inherit the parses (``read_bars_csv`` keeps them by content) and the
    gate's findings copy-on-write. Returns the file count."""
    from huice.feeds.catalog import BUNDLED_CATALOG, read_catalog
    from huice.feeds.loading import base_symbols

    seen: set[Path] = set()
    catalogs: dict[Path, Any] = {}
    markets: set[str] = set()
    for task in tasks:
        config = RunConfig.model_validate(task.config)
        plugin = factory(config)
        symbols = plugin.symbols() + ([config.data.benchmark] if config.data.benchmark else [])
        catalog_path = config.data.catalog or BUNDLED_CATALOG
        for symbol in base_symbols(symbols):
            if symbol in config.data.files:
                path = config.data.files[symbol].path
            else:
                catalog = catalogs.get(catalog_path) or catalogs.setdefault(
                    catalog_path, read_catalog(catalog_path))
                if symbol not in catalog.entries:
                    continue  # the run itself reports the unknown symbol
                path = catalog.entries[symbol][1]
            if path not in seen:
                seen.add(path)
                with contextlib.suppress(HuiceError):  # the run reports it, with its row
                    read_bars(path)
        _pregate(config, plugin, markets)
    return len(seen)


def _pregate(config: RunConfig, plugin: StrategyPlugin, done: set[str]) -> None:
    """Gate each distinct market before the workers fork (they inherit what was checked and
    logged, and the last :data:`MARKETS_KEPT` markets); a refusal is left to its runs' rows."""
    key = json.dumps([config.data.model_dump(mode="json"), plugin.symbols()], sort_keys=True)
    if key not in done:
        done.add(key)
        with contextlib.suppress(HuiceError):
            worker_market(config, plugin)


def chunk_size(tasks: int, workers: int) -> int:
    """Tasks per dispatch: few enough round trips to keep workers busy, small enough (about
    four chunks per worker) to balance uneven runs."""
    return max(1, min(32, tasks // (workers * 4)))


def _execute_local(tasks: list[SweepTask], factory: PluginFactory,
                   workers: int) -> Iterator[dict[str, Any]]:
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield run_task(task, factory)
        return
    preload_bars(tasks, factory)
    # fork: workers inherit the imported modules and the preloaded bars; tasks go in chunks
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(partial(run_task, factory=factory), tasks,
                            chunksize=chunk_size(len(tasks), workers))


def _execute_ray(tasks: list[SweepTask], factory: PluginFactory,
                 workers: int) -> Iterator[dict[str, Any]]:
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("the ray backend needs Ray: pip install -e '.[ray]'",
                          where="--backend ray") from exc
    started_here = not ray.is_initialized()
    if started_here:
        address = os.environ.get("RAY_ADDRESS")
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=1)(run_task)
        pending = [remote.remote(task, factory) for task in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                yield ray.get(ref)
    finally:
        if started_here:
            ray.shutdown()


def execute(tasks: list[SweepTask], factory: PluginFactory, workers: int,
            backend: str) -> Iterator[dict[str, Any]]:
    """Run ``tasks``; yield each row as it finishes (in completion order)."""
    if backend == "ray":
        return _execute_ray(tasks, factory, workers)
    return _execute_local(tasks, factory, workers)


@dataclass
class SweepResult:
    """What a finished sweep wrote."""

    out_dir: Path
    results: pd.DataFrame
    ranked: pd.DataFrame
    tasks: list[SweepTask]
    screened: pd.DataFrame | None = None  # sweep.screen: every task's screened metrics


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


def equity_of_tasks(tasks: list[SweepTask],
                    factory: PluginFactory) -> Callable[[str], pd.DataFrame | None]:
    """A function re-running one task (by id) for its equity frame, for the report's curves
    of the best runs (a sweep keeps only metrics)."""
    by_id = {task.task_id: task for task in tasks}

    def equity_of(task_id: str) -> pd.DataFrame | None:
        _, summary = run_task_summary(by_id[task_id], factory)
        return None if summary is None else summary.equity

    return equity_of


def run_sweep(base: RunConfig, factory: PluginFactory, out_dir: Path, *, workers: int = 1,
              backend: str = "local", progress: bool | None = None,
              tasks: list[SweepTask] | None = None) -> SweepResult:
    """Plan, validate, run (skipping finished task ids) and write a sweep's outputs; each
    finding of the bars is logged once, however many runs and workers gate it."""
    with each_finding_told_once():
        return _run_sweep(base, factory, out_dir, workers, backend, progress, tasks)


def _run_sweep(base: RunConfig, factory: PluginFactory, out_dir: Path, workers: int,
               backend: str, progress: bool | None, tasks: list[SweepTask] | None) -> SweepResult:
    from huice.engine.sweep.report import write_sweep_report

    sweep = base.sweep_block()
    tasks = tasks if tasks is not None else plan_sweep(base)
    forget_markets()
    built = validate_tasks(tasks, factory)
    check_output_folder(out_dir, "sweep")
    screened, screen_seconds = None, 0.0
    if sweep.screen is not None:
        from huice.engine.sweep.screening import run_screen

        screened, screen_seconds = run_screen(tasks, built, sweep.rank_by, sweep.descending,
                                              sweep.screen)
        confirmed = set(screened.loc[screened["confirmed"] != "", "task_id"])
        exact_tasks = [task for task in tasks if task.task_id in confirmed]
    else:
        exact_tasks = tasks
    out_dir.mkdir(parents=True, exist_ok=True)
    write_marker(out_dir, "sweep")
    journal = out_dir / "runs.jsonl"
    finished = read_finished(journal)
    todo = [task for task in exact_tasks if task.task_id not in finished]
    logger.info("sweep {}: {} runs, {} already finished, {} workers ({})", base.name,
                len(exact_tasks), len(exact_tasks) - len(todo), workers, backend)
    bar = None
    if todo:
        from tqdm import tqdm
        bar = tqdm(total=len(exact_tasks), initial=len(exact_tasks) - len(todo), unit="run",
                   desc=base.name, disable=None if progress is None else not progress)
    with journal.open("a", encoding="utf-8") as handle:
        for row in execute(todo, factory, workers, backend):
            handle.write(json.dumps(row, sort_keys=True) + "\n")
            handle.flush()
            finished[row["task_id"]] = row
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    rows = [finished[task.task_id] for task in exact_tasks]
    columns = ["index", "task_id", *dict.fromkeys(k for t in tasks for k in t.overrides),
               "run_id", *SCALAR_METRICS, "fees_commission", "fees_stamp_duty",
               "fees_transfer_fee", "fees_dividend_tax", "fees_total", "status", "error"]
    results = pd.DataFrame(rows).reindex(columns=columns)
    write_file_atomically(out_dir / "results.csv", results.to_csv(index=False, lineterminator="\n"))
    ranked = rank(results, sweep.rank_by, sweep.descending)
    write_best_configs(ranked, tasks, out_dir, sweep.top)
    lead = ""
    if screened is not None and sweep.screen is not None:
        from huice.engine.sweep.screen_report import screen_html
        from huice.engine.sweep.screening import agreement

        write_file_atomically(out_dir / "screen.csv",
                              screened.to_csv(index=False, lineterminator="\n"))
        found = agreement(screened, results, sweep.rank_by, sweep.descending)
        lead = screen_html(found, sweep.screen, len(tasks), screen_seconds,
                           base.report.language)
    write_sweep_report(base, results, ranked, out_dir, runner=sweep_runner(base, factory(base)),
                       curve_of=equity_of_tasks(tasks, factory), lead_html=lead)
    failed = int((results["status"] != "ok").sum())
    if failed:
        logger.warning("{} of {} runs failed; see the error column of results.csv", failed,
                       len(results))
    return SweepResult(out_dir=out_dir, results=results, ranked=ranked, tasks=tasks,
                       screened=screened)


def default_workers() -> int:
    """All CPUs of this machine."""
    return max(1, os.cpu_count() or 1)
