"""A sweep's run keeps only metrics and the equity curve (run_summary): its results.csv row must
equal the row of the full backtest of the same task, figure for figure, on real bundled data."""

from __future__ import annotations

import pandas as pd
import pytest

from huice.config.schema import RunConfig
from huice.engine.run.assembly import run_backtest
from huice.engine.sweep.plan import plan_sweep
from huice.engine.sweep.task import metrics_row, run_task, worker_market
from huice.strategies.factory import plugin_for
from tests.conftest import REPO


def sweep(strategy: dict, grid: dict, start: str, end: str, broker: dict | None = None):
    return plan_sweep(RunConfig.model_validate({
        "name": "lean", "data": {"catalog": str(REPO / "data/catalog.csv"), "start": start,
                                 "end": end, "benchmark": "000300.SH"},
        "strategy": strategy, "broker": broker or {"execution": "open"},
        "sweep": {"grid": grid}}))


CASES = {
    # drawdown reversion on two industries: entries, exits and the threshold moving
    "drawdown_reversion": sweep(
        {"name": "drawdown_reversion", "params": {"target": "801080.SI"}},
        {"strategy.params.target": ["801080.SI", "801750.SI"],
         "strategy.params.ratio": [0.6, 1.0], "strategy.params.min_history_days": [250]},
        "2012-01-04", "2023-12-29"),
    # a barbell of unadjusted ETFs: cash dividends booked on their ex-dates, 1-tick slippage
    "barbell_dividends": sweep(
        {"name": "barbell", "params": {"legs": [{"symbol": "510300.SH", "weight": 0.5},
                                                {"symbol": "515180.SH", "weight": 0.5}],
                                       "rebalance": "monthly"}},
        {"strategy.params.drift_band": [0.02, 0.1]}, "2020-01-02", "2023-06-08",
        {"execution": "open", "slippage": {"kind": "ticks", "value": 1}}),
}


@pytest.mark.parametrize("case", [
    "drawdown_reversion", pytest.param("barbell_dividends", marks=pytest.mark.slow)])
def test_a_sweep_row_equals_the_full_backtest_row(case):
    for task in CASES[case]:
        config = task.resolved
        assert config == RunConfig.model_validate(task.config)
        plugin = plugin_for(config)
        full = run_backtest(config, plugin_for(config), market=worker_market(config, plugin),
                            runner="fast")
        lean = run_task(task, plugin_for)
        assert lean.row == metrics_row(task, full.metrics)
        assert lean.row["status"] == "ok" and lean.row["trades"] > 0
        assert lean.curve is not None
        pd.testing.assert_frame_equal(lean.curve, full.equity[["equity", "benchmark"]])
        whole = run_task(task, plugin_for, ledger=True)
        assert whole.row == lean.row and whole.result is not None
        pd.testing.assert_frame_equal(whole.result.fills, full.fills)
    if case == "barbell_dividends":
        assert full.metrics.dividends > 0  # the ex-dates were inside the window


def test_tasks_on_the_same_data_share_one_market():
    tasks = CASES["drawdown_reversion"]
    markets = []
    for task in tasks:
        markets.append(worker_market(task.resolved, plugin_for(task.resolved)))
    # two targets x two ratios: one market per target, the ratio runs reuse it
    assert markets[0] is markets[1] and markets[2] is markets[3]
    assert markets[0] is not markets[2]
    assert markets[0].symbols != markets[2].symbols


@pytest.mark.slow  # two sweeps
def test_a_second_sweep_reads_the_files_as_they_are_now(tmp_path):
    # a notebook sweeps, fixes (here: changes) a bar file, and sweeps again in the same process
    import huice

    bars = pd.read_csv(REPO / "data/bars/801080.SI.csv.gz")
    bars.to_csv(tmp_path / "target.csv", index=False)
    tree = {"name": "again", "data": {"catalog": str(REPO / "data/catalog.csv"),
                                      "start": "2015-01-05", "end": "2019-12-31",
                                      "files": {"801080.SI": {"path": str(tmp_path / "target.csv"),
                                                              "asset_class": "index"}}},
            "strategy": {"name": "drawdown_reversion",
                         "params": {"target": "801080.SI", "min_history_days": 250}},
            "sweep": {"grid": {"strategy.params.ratio": [0.5, 0.9]}}}
    first = huice.sweep(tree, workers=1, out=tmp_path / "first", progress=False)
    changed = bars.copy()
    later = changed["date"] >= "2017-01-01"  # a 10% jump from 2017 on
    for column in ("open", "high", "low", "close"):
        changed.loc[later, column] = (changed.loc[later, column] * 1.1).round(4)
    changed.to_csv(tmp_path / "target.csv", index=False)
    second = huice.sweep(tree, workers=1, out=tmp_path / "second", progress=False)
    assert (first["run_id"] != second["run_id"]).all()
    assert first["buy_and_hold_return"].iloc[0] != second["buy_and_hold_return"].iloc[0]


def test_a_grid_whose_data_key_varies_fastest_still_loads_each_market_once(tmp_path, monkeypatch):
    # the YAML's grid names the ratio first, so the target (the data) changes every task: the
    # runs are made grouped by data, each market loaded once, results.csv in the grid's order
    import huice
    import huice.engine.sweep.task as task_module

    loaded = []
    real = task_module.market_of

    def counting(config, plugin, *args, **kwargs):
        loaded.append(config.strategy.params["target"])
        return real(config, plugin, *args, **kwargs)

    monkeypatch.setattr(task_module, "market_of", counting)
    targets = ["801080.SI", "801750.SI", "801120.SI", "801010.SI", "801030.SI", "801040.SI",
               "801050.SI", "801110.SI", "801130.SI"]  # more than a worker keeps (8)
    tree = {"name": "fastest", "data": {"catalog": str(REPO / "data/catalog.csv"),
                                        "start": "2018-01-02", "end": "2020-12-31"},
            "strategy": {"name": "drawdown_reversion",
                         "params": {"target": "801080.SI", "min_history_days": 100}},
            "sweep": {"grid": {"strategy.params.ratio": [0.5, 0.7, 0.9],
                               "strategy.params.target": targets}}}
    results = huice.sweep(tree, workers=1, out=tmp_path / "s", progress=False)
    assert sorted(loaded) == sorted(targets)
    assert list(results["index"]) == list(range(27))
    assert list(results["strategy.params.target"][:3]) == targets[:3]
