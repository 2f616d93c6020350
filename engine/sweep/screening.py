"""``sweep.screen``: screen every combination with the vectorised simulator, then confirm the
finalists (the top K by the screened metric and M others drawn at random) with the A-share
engine, and measure how well the screen agreed with the engine on them.

The screen needs a strategy with vectorised signals (``screen_weights``, see
:mod:`huice.engine.sweep.screen_sim`) and next-open execution; a sweep without ``screen`` is
exact, as before.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from loguru import logger

from huice.config.errors import ConfigError
from huice.config.schema import RunConfig, ScreenConfig
from huice.engine.broker.execution import Execution
from huice.engine.run.instrument_rules import resolve_all_rules
from huice.engine.run.plugin import StrategyPlugin
from huice.engine.run.result_builder import reference_returns
from huice.engine.sweep.plan import SweepTask
from huice.engine.sweep.screen_sim import (
    SCREEN_METRICS,
    screen_metrics,
    screen_prices,
    simulate,
    without_warm_up,
)
from huice.engine.sweep.task import worker_market
from huice.feeds.market import MarketData

BATCH = 1024  # parameter sets simulated at once (memory: days x BATCH x slots floats)


@dataclass
class Agreement:
    """How the screen's figures compare with the exact engine's on the confirmed runs."""

    metric: str
    confirmed: int
    rank_correlation: float        # Spearman, screen vs exact, over every confirmed run
    top_rank_correlation: float    # the same over the top K only (NaN below 3 runs)
    largest_difference: dict[str, float]  # per metric, the largest |screen - exact|
    top_overlap: int               # of the top K by the screen, how many are top K exactly


def _group_key(task: SweepTask, plugin: StrategyPlugin) -> str:
    """Tasks whose configs differ in strategy parameters only, on the same symbols, run as one
    batch (the same market, broker and report settings)."""
    rest = {key: value for key, value in task.config.items() if key != "strategy"}
    return json.dumps([rest, plugin.symbols(), type(plugin).__qualname__], sort_keys=True,
                      default=str)


def _check_screenable(config: RunConfig, plugin: StrategyPlugin) -> None:
    if getattr(type(plugin), "screen_weights", None) is None:
        raise ConfigError(f"strategy {plugin.name} has no vectorised signals to screen with "
                          "(screen_weights); remove sweep.screen to run every combination "
                          "exactly, or screen drawdown_reversion, industry_rotation or etf_flow",
                          where="sweep.screen")
    if Execution(config.broker.execution) is not Execution.OPEN:
        raise ConfigError(f"the screen executes at the next open; broker.execution is "
                          f"{config.broker.execution}: set it to open or remove sweep.screen",
                          where="sweep.screen")


def screen_group(market: MarketData, config: RunConfig, plugins: Sequence[StrategyPlugin]
                 ) -> pd.DataFrame:
    """Screened metrics of ``plugins`` (one strategy class, the same data and broker), one row
    each, in order."""
    cls: Any = type(plugins[0])
    rules = resolve_all_rules(config, market)
    hold_return, bench_return = reference_returns(market, plugins[0].traded_symbols(),
                                                  config.data.benchmark)
    trade_start = config.data.trade_start
    first_trading_day = (int(market.calendar.searchsorted(pd.Timestamp(trade_start)))
                         if trade_start else 0)
    standing = bool(getattr(cls, "screen_standing_targets", False))
    frames, prices = [], None
    for start in range(0, len(plugins), BATCH):
        batch = cls.screen_weights(market, [cast(Any, plugin).params
                                            for plugin in plugins[start:start + BATCH]])
        if prices is None or prices.symbols != batch.symbols:
            prices = screen_prices(market, batch.symbols, rules, config.broker.slippage)
        weights = without_warm_up(batch.weights, first_trading_day, standing)
        equity, invested, turnover = simulate(prices, weights, batch.slots,
                                              config.broker.initial_cash)
        frames.append(screen_metrics(
            equity, invested, turnover, initial=config.broker.initial_cash,
            periods_per_year=config.report.periods_per_year,
            risk_free_rate=config.report.risk_free_rate, benchmark_return=bench_return,
            buy_and_hold_return=hold_return))
    return pd.concat(frames, ignore_index=True)


def screen_tasks(tasks: Sequence[SweepTask],
                 built: Sequence[tuple[RunConfig, StrategyPlugin]]) -> pd.DataFrame:
    """Every task's screened metrics (index, task_id, the overrides, then SCREEN_METRICS) from
    the tasks and their validated configs and strategies."""

    groups: dict[str, list[tuple[SweepTask, RunConfig, StrategyPlugin]]] = {}
    for task, (config, plugin) in zip(tasks, built):
        _check_screenable(config, plugin)
        groups.setdefault(_group_key(task, plugin), []).append((task, config, plugin))
    rows = []
    for members in groups.values():
        _, config, plugin = members[0]
        figures = screen_group(worker_market(config, plugin), config,
                               [member[2] for member in members])
        for (task, _, _), values in zip(members, figures.to_dict("records")):
            rows.append({"index": task.index, "task_id": task.task_id, **task.overrides,
                         **values})
    return pd.DataFrame(rows).sort_values("index", kind="stable").reset_index(drop=True)


def finalists(screened: pd.DataFrame, metric: str, descending: bool,
              screen: ScreenConfig) -> pd.Series:
    """Which tasks the engine confirms: ``top`` for the best ``screen.top`` by the screened
    ``metric`` (ties: lower index first), ``sample`` for ``screen.sample`` others drawn with
    ``screen.seed``, empty for the rest; indexed like ``screened``."""
    if metric not in SCREEN_METRICS:
        raise ConfigError(f"the screen estimates {', '.join(SCREEN_METRICS)}; rank_by "
                          f"'{metric}' is not among them", where="sweep.rank_by")
    key = -screened[metric] if descending else screened[metric]
    order = screened.assign(_key=key.fillna(np.inf)).sort_values(
        ["_key", "index"], kind="stable").index
    chosen = pd.Series("", index=screened.index, dtype=object)
    chosen[order[:screen.top]] = "top"
    rest = np.asarray(order[screen.top:])
    if screen.sample and len(rest):
        drawn = np.random.default_rng(screen.seed).choice(
            rest, size=min(screen.sample, len(rest)), replace=False)
        chosen[np.sort(drawn)] = "sample"
    return chosen


def agreement(screened: pd.DataFrame, results: pd.DataFrame, metric: str,
              descending: bool) -> Agreement:
    """Screen against exact on the confirmed runs that succeeded."""
    exact = results[results["status"] == "ok"].set_index("task_id")
    both = screened.set_index("task_id").join(
        exact[list(SCREEN_METRICS)].add_suffix("_exact"), how="inner")
    top = both[both["confirmed"] == "top"]

    def spearman(frame: pd.DataFrame) -> float:
        if len(frame) < 3:
            return float("nan")
        return float(frame[metric].corr(frame[f"{metric}_exact"], method="spearman"))

    top_k = len(top)
    sign = -1 if descending else 1
    best_exact = set((sign * both[f"{metric}_exact"]).sort_values(kind="stable")
                     .index[:top_k])
    return Agreement(
        metric=metric, confirmed=len(both), rank_correlation=spearman(both),
        top_rank_correlation=spearman(top),
        largest_difference={m: float((both[m] - both[f"{m}_exact"]).abs().max())
                            for m in SCREEN_METRICS},
        top_overlap=len(best_exact & set(top.index)))


def run_screen(tasks: Sequence[SweepTask], built: Sequence[tuple[RunConfig, StrategyPlugin]],
               metric: str, descending: bool,
               screen: ScreenConfig) -> tuple[pd.DataFrame, float]:
    """Screen every task (with its validated config and strategy) and mark the finalists
    (column ``confirmed``); the seconds it took."""
    started = time.perf_counter()
    screened = screen_tasks(tasks, built)
    screened["confirmed"] = finalists(screened, metric, descending, screen)
    seconds = time.perf_counter() - started
    logger.info("screened {} combinations in {:.1f} s; confirming {} with the engine",
                len(screened), seconds, int((screened["confirmed"] != "").sum()))
    return screened, seconds
