"""One sweep run in a worker: a planned task (its config validated once, see
:mod:`huice.engine.sweep.plan`) in, its results.csv row and its equity curve out.

The bars a task reads are loaded once per worker for every task over the same data
(:func:`worker_market`), and before the workers fork the parent parses every bar file and gates
every distinct market once (:func:`preload_bars`), so the workers inherit both.
"""

from __future__ import annotations

import contextlib
import json
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from huice.config.errors import ConfigError, HuiceError
from huice.config.schema import RunConfig
from huice.engine.results.metrics import Metrics
from huice.engine.results.result import RunResult
from huice.engine.run.assembly import market_of, run_backtest, run_summary
from huice.engine.run.kinds import is_backtrader_plugin
from huice.engine.run.plugin import PluginFactory, StrategyPlugin
from huice.engine.sweep.plan import SweepTask
from huice.feeds.catalog import BUNDLED_CATALOG, Catalog, read_catalog
from huice.feeds.csv_source import read_bars
from huice.feeds.loading import base_symbols
from huice.feeds.market import MarketData

SCALAR_METRICS = ("total_return", "annual_return", "buy_and_hold_return", "benchmark_return",
                  "excess_vs_buy_and_hold", "excess_vs_benchmark", "max_drawdown", "longest_drawdown_days",
                  "sharpe", "volatility", "trades", "fills", "turnover", "exposure",
                  "slippage_cost", "final_equity", "start", "end", "bars")
CURVE_COLUMNS = ["equity", "benchmark"]  # what a run's curve carries to the report


@dataclass(frozen=True)
class TaskRun:
    """One finished sweep run: its results.csv row; its equity curve (date index, equity and
    benchmark columns), None when it failed; and, when asked for, its whole result with every
    ledger table (walk-forward's test folds need the fills)."""

    row: dict[str, Any]
    curve: pd.DataFrame | None
    result: RunResult | None = None


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
    return config.runner or ("cerebro" if is_backtrader_plugin(plugin) else "fast")


_markets: OrderedDict[str, MarketData] = OrderedDict()
MARKETS_KEPT = 8  # tasks come grouped by data (a grid's first key varies slowest)


def forget_markets() -> None:
    """Drop this process's shared markets: each sweep starts from the files as they are now
    (a notebook that fixes a bar file between two sweeps gets the fixed bars)."""
    _markets.clear()


def data_key(config: RunConfig, plugin: StrategyPlugin) -> str:
    """What a task's market depends on: its ``data:`` block and the strategy's symbols (tasks
    with the same key share one market, :func:`worker_market`)."""
    return json.dumps([config.data.model_dump(mode="json"), plugin.symbols()], sort_keys=True)


def grouped_by_data(tasks: Iterable[SweepTask], data_keys: Mapping[str, str]) -> list[SweepTask]:
    """``tasks`` reordered so that those on the same data (``data_keys``: task id ->
    :func:`data_key`) run one after another (groups in the order they first appear, the
    grid's order inside each): a worker then loads each market once, whichever grid key names
    the data. Only the order of running changes; results.csv keeps the grid's order."""
    groups: dict[str, list[SweepTask]] = {}
    for task in tasks:
        groups.setdefault(data_keys[task.task_id], []).append(task)
    return [task for group in groups.values() for task in group]


def worker_market(config: RunConfig, plugin: StrategyPlugin) -> MarketData:
    """The bars of a task, loaded once per worker for every task that reads the same data with
    the same symbols (a grid over strategy parameters shares one market): the files, the
    catalog, validation, windowing and the bars' fingerprint are not redone per run."""
    key = data_key(config, plugin)
    market = _markets.get(key)
    if market is None:
        market = market_of(config, plugin)
        _markets[key] = market
        if len(_markets) > MARKETS_KEPT:
            _markets.popitem(last=False)
    else:
        _markets.move_to_end(key)
    return market


def run_task(task: SweepTask, factory: PluginFactory, *, ledger: bool = False) -> TaskRun:
    """Run one task: its row and curve, and with ``ledger`` its whole result. A user error
    (bad data, a refused strategy) becomes an ``error`` row, not a crash."""
    config = task.resolved
    try:
        plugin = factory(config)
        market = worker_market(config, plugin)
        runner = sweep_runner(config, plugin)
        if ledger:
            result = run_backtest(config, plugin, market=market, progress=False, runner=runner)
            return TaskRun(metrics_row(task, result.metrics), result.equity[CURVE_COLUMNS],
                           result)
        summary = run_summary(config, plugin, market, runner=runner)
    except HuiceError as exc:
        return TaskRun(metrics_row(task, None, str(exc)), None)
    return TaskRun(metrics_row(task, summary.metrics), summary.equity[CURVE_COLUMNS])


def strategies_of(tasks: Iterable[SweepTask], factory: PluginFactory
                  ) -> list[tuple[RunConfig, StrategyPlugin]]:
    """Each task's config and strategy, in order, built before anything runs: a strategy
    refusing its params stops the sweep with the run named (the screen reuses them)."""
    built = []
    for task in tasks:
        try:
            built.append((task.resolved, factory(task.resolved)))
        except HuiceError as exc:
            raise ConfigError(f"{exc.where + ': ' if exc.where else ''}{exc.message}",
                              where=task.label) from exc
    return built


def preload_bars(tasks: Iterable[SweepTask], factory: PluginFactory) -> int:
    """Parse every bar file the tasks use once, and gate every distinct market, before the
    workers fork: they inherit the parses (``read_bars_csv`` keeps them by content) and the
    gate's findings copy-on-write. Returns the file count."""
    seen: set[Path] = set()
    catalogs: dict[Path, Catalog] = {}
    markets: set[str] = set()
    for task in tasks:
        config = task.resolved
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
    key = data_key(config, plugin)
    if key not in done:
        done.add(key)
        with contextlib.suppress(HuiceError):
            worker_market(config, plugin)
