"""Walk-forward evaluation: choose params on each train window, trade them on the next test window.

For each fold the sweep's runs are made on the train window; the best by ``rank_by`` is then run
over train + test with trading allowed only from the test window's first day (the train window
warms the strategy up), and the test-window equity is kept. The folds' test returns, chained,
are the out-of-sample curve; beside it the report shows the in-sample best (the best params of a
sweep over the whole span, run over the whole span).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from huice.config.errors import ConfigError
from huice.config.overrides import config_tree, with_overrides
from huice.config.schema import RunConfig, WalkForwardConfig
from huice.engine.results.labels import WORDS, text
from huice.engine.results.metrics import annual_return, max_drawdown, period_returns, sharpe_ratio
from huice.engine.results.outputs import check_output_folder, write_marker
from huice.engine.results.plotly_traces import (
    BENCHMARK_COLOUR,
    STRATEGY_COLOUR,
    chart_div,
    dates,
    line,
)
from huice.engine.results.result import RunResult
from huice.engine.results.writer import write_csv_atomically
from huice.engine.run.data_gate import each_finding_told_once
from huice.engine.run.plugin import PluginFactory
from huice.engine.sweep.plan import SweepTask, plan_sweep, task_of
from huice.engine.sweep.report import write_sweep_report
from huice.engine.sweep.report_parts import table_html
from huice.engine.sweep.runner import run_sweep
from huice.engine.sweep.task import run_task, sweep_runner
from huice.engine.sweep.words import metric_column, say
from huice.feeds.loading import load_market


@dataclass(frozen=True)
class Fold:
    """One train window and the test window after it (dates inclusive)."""

    number: int
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp


def make_folds(calendar: pd.DatetimeIndex, spec: WalkForwardConfig) -> list[Fold]:
    """Folds over ``calendar``: train ``train_days``, test the next ``test_days``, move by
    ``step_days``; the last test window may be shorter."""
    step = spec.step_days or spec.test_days
    folds: list[Fold] = []
    start = 0
    while start + spec.train_days < len(calendar):
        train_first = 0 if spec.anchored else start
        train_last = start + spec.train_days - 1
        test_last = min(train_last + spec.test_days, len(calendar) - 1)
        folds.append(Fold(len(folds) + 1, calendar[train_first], calendar[train_last],
                          calendar[train_last + 1], calendar[test_last]))
        start += step
    if not folds:
        raise ConfigError(f"the data span has {len(calendar)} trading days, fewer than "
                          f"train_days + 1 = {spec.train_days + 1}", where="sweep.walk_forward")
    return folds


def _with_span(config: RunConfig, start: Any, end: Any, trade_start: Any = None) -> RunConfig:
    return with_overrides(config, {
        "data.start": pd.Timestamp(start).date(), "data.end": pd.Timestamp(end).date(),
        "data.trade_start": pd.Timestamp(trade_start).date() if trade_start is not None else None})


@dataclass
class WalkForwardResult:
    folds: pd.DataFrame           # one row per fold: windows, chosen params, scores
    oos_equity: pd.Series          # chained out-of-sample equity (starts at initial cash)
    in_sample_equity: pd.Series    # the in-sample best over the whole span
    test_fills: pd.DataFrame       # every fill of the test runs, with its fold
    benchmark: pd.Series | None = None  # the benchmark curve over the whole span (None: none)


def run_walk_forward(base: RunConfig, factory: PluginFactory, out_dir: Path, *,
                     workers: int = 1, backend: str = "local") -> WalkForwardResult:
    """Run the folds of ``base.sweep.walk_forward`` and write walk_forward.csv, oos_equity.csv
    and report.html into ``out_dir``; each finding of the bars is logged once. Every run is
    made once: each fold's train sweep, one test run per fold, and the sweep over the whole
    span, whose best run's own curve is the in-sample line."""
    with each_finding_told_once():
        return _run_walk_forward(base, factory, out_dir, workers, backend)


def _train_tasks(base: RunConfig, folds: list[Fold]) -> list[SweepTask]:
    """Every fold's train runs as one task list (one pool): the sweep planned per fold."""
    tasks: list[SweepTask] = []
    for fold in folds:
        for task in plan_sweep(_with_span(base, fold.train_start, fold.train_end)):
            tasks.append(replace(task, index=len(tasks),
                                 overrides={"fold": fold.number, **task.overrides}))
    return tasks


def _test_run(fold: Fold, chosen: SweepTask, factory: PluginFactory) -> RunResult:
    """The fold's best train params run over train + test, trading from the test window."""
    tree = config_tree(_with_span(chosen.resolved, fold.train_start, fold.test_end,
                                  fold.test_start))
    run = run_task(task_of(fold.number, {}, tree), factory, ledger=True)
    if run.result is None:
        raise ConfigError(f"the test run of fold {fold.number} failed: {run.row['error']}",
                          where="sweep.walk_forward")
    return run.result


def _fold_row(fold: Fold, best: pd.Series, chosen: SweepTask, growth: pd.Series,
              rank_by: str, periods: int) -> dict[str, Any]:
    params = {k: best[k] for k in chosen.overrides if k != "fold"}
    return {"fold": fold.number, "train_start": fold.train_start.date(),
            "train_end": fold.train_end.date(), "test_start": fold.test_start.date(),
            "test_end": fold.test_end.date(), **params,
            **({} if rank_by == "total_return"  # that is train_return
               else {metric_column("train", rank_by): best[rank_by]}),
            "train_return": float(best["total_return"]),
            "test_return": float(growth.iloc[-1] - 1.0),
            "train_annual_return": annual_return(float(best["total_return"]),
                                                 int(best["bars"]), periods),
            "test_annual_return": annual_return(float(growth.iloc[-1] - 1.0),
                                                len(growth), periods)}


def _run_walk_forward(base: RunConfig, factory: PluginFactory, out_dir: Path, workers: int,
                      backend: str) -> WalkForwardResult:
    sweep = base.sweep_block()
    spec = sweep.walk_forward
    if spec is None:
        raise ConfigError(f"config {base.name} has no walk_forward block", where="sweep")
    check_output_folder(out_dir, "sweep")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_marker(out_dir, "sweep")
    market = load_market(base.data, factory(base).symbols())
    folds = make_folds(market.calendar, spec)
    tasks = _train_tasks(base, folds)
    training = run_sweep(base, factory, out_dir / "train", workers=workers, backend=backend,
                         tasks=tasks)
    whole = run_sweep(base, factory, out_dir / "in_sample", workers=workers, backend=backend)
    by_id = {task.task_id: task for task in tasks}
    initial = base.broker.initial_cash
    rows, pieces, fills = [], [], []
    level = initial
    for fold in folds:
        candidates = training.ranked[training.ranked["fold"] == fold.number]
        if candidates.empty:
            raise ConfigError(f"no run succeeded on the train window of fold {fold.number}",
                              where="sweep.walk_forward")
        best = candidates.iloc[0]
        chosen = by_id[best["task_id"]]
        result = _test_run(fold, chosen, factory)
        growth = result.equity["equity"].loc[fold.test_start:fold.test_end] / initial
        pieces.append(growth * level)  # nothing is traded before the test window
        level = float(pieces[-1].iloc[-1])
        fills.append(result.fills.assign(fold=fold.number)[["fold", *result.fills.columns]])
        rows.append(_fold_row(fold, best, chosen, growth, sweep.rank_by,
                              base.report.periods_per_year))
    oos = pd.concat(pieces)
    in_sample_curve = whole.curves.get(str(whole.ranked.iloc[0]["task_id"])) \
        if len(whole.ranked) else None
    if in_sample_curve is None:
        raise ConfigError("no run of the params over the whole span succeeded",
                          where="sweep.walk_forward")
    benchmark = in_sample_curve["benchmark"]
    walk = WalkForwardResult(pd.DataFrame(rows), oos, in_sample_curve["equity"],
                             pd.concat(fills, ignore_index=True),
                             benchmark if benchmark.notna().any() else None)
    write_csv_atomically(walk.folds, out_dir / "walk_forward.csv")
    write_csv_atomically(oos.rename("equity").to_frame(), out_dir / "oos_equity.csv", index=True)
    write_csv_atomically(walk.test_fills, out_dir / "oos_fills.csv")
    write_sweep_report(base, whole.results, whole.ranked, out_dir,
                       lead_html=_walk_forward_html(walk, base),
                       runner=sweep_runner(base, factory(base)), curve_of=whole.curves.get)
    return walk


def rebased(curve: pd.Series, start: pd.Timestamp, initial: float) -> pd.Series:
    """``curve`` from ``start`` on, scaled so that the close before ``start`` is ``initial``
    (the level the stitched out-of-sample curve starts from)."""
    curve = curve.ffill()
    before = curve[curve.index < start].dropna()
    base = float(before.iloc[-1]) if len(before) else float(curve.dropna().iloc[0])
    return curve[curve.index >= start] / base * initial


def oos_summary(oos: pd.Series, benchmark: pd.Series | None, initial: float,
                periods: int, risk_free_rate: float = 0.0) -> pd.DataFrame:
    """Return, annual return, max drawdown and Sharpe of the stitched test windows, and of the
    benchmark over the same days (``benchmark`` rebased like them: its close before the first
    test day is ``initial``): the figures of metrics.json, by the same functions."""
    def figures(curve: pd.Series) -> dict[str, float]:
        values = curve.to_numpy(dtype=float)
        returns = period_returns(values, initial)
        return {"total_return": values[-1] / initial - 1.0,
                "annual_return": annual_return(values[-1] / initial - 1.0, len(values), periods),
                "max_drawdown": max_drawdown(np.concatenate([[initial], values])),
                "sharpe": sharpe_ratio(returns, periods, risk_free_rate)}
    rows = {"walk-forward out-of-sample": figures(oos)}
    if benchmark is not None:
        rows["benchmark, same days"] = figures(benchmark.reindex(oos.index).ffill())
    table = pd.DataFrame(rows).T
    table.index.name = "curve"
    return table.reset_index()


def _walk_forward_html(result: WalkForwardResult, base: RunConfig) -> str:
    """The page's lead: the stitched out-of-sample result against the benchmark, the in-sample
    best rebased to the first test day, then the folds."""
    folds = result.folds
    language = base.report.language
    initial = base.broker.initial_cash
    first_test = pd.Timestamp(folds["test_start"].iloc[0])
    oos = result.oos_equity
    in_sample = rebased(result.in_sample_equity, first_test, initial)
    curves = [line(dates(oos.index), oos, say("wf_oos", language), STRATEGY_COLOUR,
                   line={"width": 2, "color": STRATEGY_COLOUR})]
    benchmark = None
    if result.benchmark is not None:
        benchmark = rebased(result.benchmark, first_test, initial)
        curves.append(line(dates(benchmark.index), benchmark, text(WORDS, "benchmark", language),
                           "#2e8b57"))
    curves.append(line(dates(in_sample.index), in_sample, say("wf_in_sample", language),
                       BENCHMARK_COLOUR, line={"width": 1.2, "dash": "dot",
                                               "color": BENCHMARK_COLOUR}))
    starts = [{"type": "line", "xref": "x", "yref": "paper", "x0": str(start), "x1": str(start),
               "y0": 0, "y1": 1, "line": {"color": "#cccccc", "width": 1}}
              for start in folds["test_start"]]
    curve_chart = chart_div("walk-forward-curves", curves, {
        "title": {"text": say("wf_curves_title", language)},
        "shapes": starts, "yaxis": {"tickformat": ",.0f"}}, height=400)
    labels = [say("wf_fold", language, n=n) for n in folds["fold"]]
    bars = [{"type": "bar", "name": say("wf_bar_in", language), "x": labels,
             "y": folds["train_annual_return"].round(8).tolist(),
             "marker": {"color": BENCHMARK_COLOUR}},
            {"type": "bar", "name": say("wf_bar_out", language), "x": labels,
             "y": folds["test_annual_return"].round(8).tolist(),
             "marker": {"color": STRATEGY_COLOUR}}]
    fold_chart = chart_div("walk-forward-folds", bars, {
        "title": {"text": say("wf_folds_title", language)},
        "barmode": "group", "yaxis": {"tickformat": ".0%"}, "hovermode": "x"}, height=360)
    summary = oos_summary(oos, benchmark, initial, base.report.periods_per_year,
                          base.report.risk_free_rate)
    summary["curve"] = summary["curve"].map({"walk-forward out-of-sample": say("wf_oos", language),
                                             "benchmark, same days":
                                             say("wf_benchmark_days", language)})
    kept = (folds["test_annual_return"] / folds["train_annual_return"]).where(
        folds["train_annual_return"] > 0)
    ratio = (say("wf_kept", language, kept=f"{kept.median():.0%}") if kept.notna().any()
             else "")
    whole = result.in_sample_equity.iloc[-1] / initial - 1
    return (f'<section id="walk-forward"><h2>{say("wf_title", language)}</h2>'
            + "<p>" + say("wf_intro", language, folds=len(folds), first=first_test.date(),
                          whole=f"{whole:.2%}", kept=ratio) + "</p>"
            + table_html(summary, ("total_return", "annual_return", "max_drawdown"), language)
            + f"{curve_chart}{fold_chart}"
            + table_html(folds, ("train_return", "test_return", "train_annual_return",
                                 "test_annual_return"), language,
                         [c for c in folds.columns if "." in c])
            + "</section>")
