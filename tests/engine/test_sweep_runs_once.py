"""Every sweep task runs once: the report's curves and a walk-forward's in-sample line are the
runs' own curves, not re-runs (issue 36). Counted by wrapping the two ways a task runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from huice.config.schema import RunConfig
from huice.engine.run.assembly import run_backtest
from huice.engine.sweep import task as task_module
from huice.engine.sweep.curves import CURVES, BestCurves
from huice.engine.sweep.runner import rank, run_sweep
from huice.engine.sweep.walkforward import make_folds, run_walk_forward
from huice.feeds.loading import load_market
from huice.strategies.factory import plugin_for
from tests.conftest import REPO


def config(grid: dict, start: str = "2019-01-02", end: str = "2023-12-29",
           walk_forward: dict | None = None) -> RunConfig:
    sweep: dict = {"grid": grid, "rank_by": "sharpe"}
    if walk_forward:
        sweep["walk_forward"] = walk_forward
    return RunConfig.model_validate({
        "name": "once", "data": {"catalog": str(REPO / "data/catalog.csv"), "start": start,
                                 "end": end, "benchmark": "000300.SH"},
        "strategy": {"name": "drawdown_reversion",
                     "params": {"target": "801080.SI", "min_history_days": 250}},
        "broker": {"execution": "open"}, "sweep": sweep})


@pytest.fixture
def counted(monkeypatch):
    """How many times each way of running a task ran (workers=1 runs in this process)."""
    counts = {"summary": 0, "backtest": 0}

    def counting(name, inner):
        def wrapped(*args, **kwargs):
            counts[name] += 1
            return inner(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(task_module, "run_summary",
                        counting("summary", task_module.run_summary))
    monkeypatch.setattr(task_module, "run_backtest",
                        counting("backtest", task_module.run_backtest))
    return counts


GRID = {"strategy.params.target": ["801080.SI", "801750.SI", "801120.SI"],
        "strategy.params.ratio": [0.6, 0.8, 1.0]}


def test_a_sweep_of_n_tasks_makes_n_runs_and_draws_their_own_curves(counted, tmp_path: Path):
    base = config(GRID)
    result = run_sweep(base, plugin_for, tmp_path / "s", workers=1, progress=False)
    assert len(result.tasks) == 9
    assert counted == {"summary": 9, "backtest": 0} and result.runs_made == 9
    ranked = result.ranked
    assert 1 <= len(result.curves) <= CURVES
    best = str(ranked.iloc[0]["task_id"])
    assert best in result.curves
    # the kept curve is the run's own: the same as a whole backtest of that task's config
    task = next(t for t in result.tasks if t.task_id == best)
    whole = run_backtest(task.resolved, plugin_for(task.resolved), runner="fast")
    pd.testing.assert_frame_equal(result.curves[best], whole.equity[["equity", "benchmark"]])
    assert 'id="sweep-best-curves"' in (tmp_path / "s" / "report.html").read_text()


def test_a_resumed_sweep_runs_again_only_the_best_curves_it_did_not_keep(counted,
                                                                           tmp_path: Path):
    base = config(GRID)
    first = run_sweep(base, plugin_for, tmp_path / "s", workers=1, progress=False)
    report = (tmp_path / "s" / "report.html").read_bytes()
    counted["summary"] = 0
    again = run_sweep(base, plugin_for, tmp_path / "s", workers=1, progress=False)
    # every row is in the journal: only the drawn curves are run, once each
    assert counted["summary"] == len(again.curves) == len(first.curves) == again.runs_made
    assert (tmp_path / "s" / "report.html").read_bytes() == report
    for task_id, curve in first.curves.items():
        pd.testing.assert_frame_equal(again.curves[task_id], curve)


def test_a_walk_forward_makes_each_run_once(counted, tmp_path: Path):
    spec = {"train_days": 500, "test_days": 250}
    base = config({"strategy.params.ratio": [0.6, 0.8, 1.0]}, start="2015-01-05",
                  end="2021-12-31", walk_forward=spec)
    market = load_market(base.data, plugin_for(base).symbols())
    folds = make_folds(market.calendar, base.sweep_block().walk_forward)
    walk = run_walk_forward(base, plugin_for, tmp_path / "wf", workers=1)
    # 3 train runs per fold, the 3 runs over the whole span, one test run per fold
    assert counted == {"summary": 3 * len(folds) + 3, "backtest": len(folds)}
    # the in-sample line is the whole-span sweep's best run's own curve
    whole = run_sweep(base.model_copy(update={"sweep": base.sweep_block().model_copy(
        update={"walk_forward": None})}), plugin_for, tmp_path / "whole", workers=1,
        progress=False)
    best = next(t for t in whole.tasks if t.task_id == rank(whole.results, "sharpe",
                                                           True).iloc[0]["task_id"])
    alone = run_backtest(best.resolved, plugin_for(best.resolved), runner="fast")
    pd.testing.assert_series_equal(walk.in_sample_equity, alone.equity["equity"])


def row(index: int, sharpe: float, total: float, status: str = "ok") -> dict:
    return {"index": index, "task_id": f"t{index}", "sharpe": sharpe, "status": status,
            "total_return": total, "max_drawdown": 0.1, "trades": 2, "fills": 4,
            "final_equity": 1_000_000 * (1 + total)}


def curve(value: float) -> pd.DataFrame:
    return pd.DataFrame({"equity": [value], "benchmark": [1.0]})


def test_best_curves_keeps_the_best_distinct_outcomes_whatever_the_arrival_order():
    rows = [row(0, 0.5, 0.10), row(1, 0.9, 0.30), row(2, 0.9, 0.30),  # 2 repeats 1
            row(3, float("nan"), 0.00), row(4, 0.7, 0.20), row(5, 0.2, 0.05),
            row(6, 1.2, 0.40, status="error"), row(7, 0.8, 0.25)]
    for order in (rows, rows[::-1], rows[3:] + rows[:3]):
        keeper = BestCurves("sharpe", descending=True, count=3)
        for item in order:
            keeper.offer(item, curve(item["index"]))
        # the best three distinct: t1 (its repeat t2 is later in the ranking), t7, t4
        assert list(keeper.curves()) == ["t1", "t7", "t4"] and keeper.missing() == []
    keeper = BestCurves("sharpe", descending=True, count=3)
    keeper.offer(rows[1], None)  # a journal row: no curve at hand
    keeper.offer(rows[4], curve(4))
    assert keeper.missing() == ["t1"]
