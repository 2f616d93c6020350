"""The screening simulator against a hand computation, its metrics against the engine's own
metric functions, and a screened sweep end to end on real data (agreement with the engine,
files, refusals)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from huice.engine.results.metrics import (
    max_drawdown,
    period_returns,
    sharpe_ratio,
)
from huice.engine.sweep.screen_sim import ScreenPrices, screen_metrics, simulate
from tests.conftest import REPO, run_cli


def test_one_round_trip_by_hand():
    # day 0: decide to buy (weight 1); day 1: buy at the open 10 with 0.1% costs, close 11;
    # day 2: close 12, decide to sell; day 3: sell at the open 12.5 (0.2% costs), close 13
    prices = ScreenPrices(["A"], opens=np.array([[9.0], [10.0], [11.5], [12.5]]),
                          closes=np.array([[9.5], [11.0], [12.0], [13.0]]),
                          buy_cost=np.full((4, 1), 0.001), sell_cost=np.full((4, 1), 0.002))
    weights = np.array([[[1.0]], [[np.nan]], [[0.0]], [[np.nan]]])
    equity, invested, traded = simulate(prices, weights, np.zeros((1, 1), dtype=int), 1000.0)
    # day 1: 1000 invested at 10 (cash -1.00 for costs), worth 1100 at the close
    # day 2: 1200; day 3: at the open 1250, sold: cash -1 + 1250 - 2.5 = 1246.5
    assert equity[:, 0].tolist() == pytest.approx([1000.0, 1099.0, 1199.0, 1246.5])
    assert invested[:, 0].tolist() == pytest.approx([0.0, 1100.0, 1200.0, 0.0])
    assert traded[0] == pytest.approx(2250.0)


def test_weights_split_between_two_symbols_and_drift():
    # day 0: 50/50 of A and B; A doubles on day 1, B is flat; no costs; no order after
    prices = ScreenPrices(["A", "B"], opens=np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 1.0]]),
                          closes=np.array([[1.0, 1.0], [2.0, 1.0], [2.0, 1.0]]),
                          buy_cost=np.zeros((3, 2)), sell_cost=np.zeros((3, 2)))
    weights = np.full((3, 1, 2), np.nan)
    weights[0, 0] = [0.5, 0.5]
    equity, _, _ = simulate(prices, weights, np.array([[0, 1]]), 100.0)
    assert equity[:, 0].tolist() == pytest.approx([100.0, 150.0, 150.0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-0.09, 0.09), min_size=3, max_size=60), st.floats(0.0, 0.04))
@example(daily=[0.0, 0.0, 0.0], risk_free=7.570548701982246e-116)  # flat: Sharpe 0, not -8.8e16
def test_metrics_follow_the_engine_definitions(daily, risk_free):
    values = 1_000_000.0 * np.cumprod(1.0 + np.array(daily))
    invested = np.where(np.arange(len(values)) % 2, values, 0.0)
    figures = screen_metrics(values[:, None], invested[:, None], np.array([2e6]),
                             initial=1_000_000.0, periods_per_year=252,
                             risk_free_rate=risk_free, benchmark_return=0.1,
                             buy_and_hold_return=0.2).iloc[0]
    returns = period_returns(values, 1_000_000.0)
    total = values[-1] / 1_000_000.0 - 1.0
    assert figures["total_return"] == pytest.approx(total, abs=1e-12)
    assert figures["sharpe"] == pytest.approx(sharpe_ratio(returns, 252, risk_free), abs=1e-9)
    assert figures["volatility"] == pytest.approx(
        float(np.std(returns, ddof=1)) * math.sqrt(252), abs=1e-12)
    assert figures["max_drawdown"] == pytest.approx(
        max_drawdown(np.concatenate([[1_000_000.0], values])), abs=1e-12)
    assert figures["exposure"] == pytest.approx(float(np.mean(invested > 0)))
    assert figures["turnover"] == pytest.approx(2e6 / float(np.mean(values)))
    assert figures["excess_vs_benchmark"] == pytest.approx(total - 0.1)


SWEEP = """name: screened
data:
  catalog: {repo}/data/catalog.csv
  start: 2014-01-02
  end: 2023-12-29
strategy:
  name: drawdown_reversion
  params: {{target: 801080.SI, min_history_days: 500}}
broker:
  execution: {execution}
sweep:
  grid:
    strategy.params.target: [801080.SI, 801750.SI, 801120.SI]
    strategy.params.ratio: {{start: 0.3, stop: 1.0, step: 0.1}}
    strategy.params.min_history_days: [250, 750]
  rank_by: {rank_by}
  screen: {{top: 8, sample: 10, seed: 3}}
"""


def write_sweep(folder, execution="open", rank_by="sharpe", extra=""):
    path = folder / "sweep.yaml"
    path.write_text(SWEEP.format(repo=REPO, execution=execution, rank_by=rank_by) + extra)
    return path


@pytest.mark.slow  # a 48-combination screen and 18 exact runs
def test_a_screened_sweep_confirms_the_finalists(tmp_path):
    result = run_cli("sweep", str(write_sweep(tmp_path)), "--out", str(tmp_path / "out"),
                     "--workers", "1")
    assert result.code == 0, result.stderr
    screened = pd.read_csv(tmp_path / "out/screen.csv")
    exact = pd.read_csv(tmp_path / "out/results.csv")
    assert len(screened) == 48 and screened["index"].tolist() == list(range(48))
    assert (screened["confirmed"] == "top").sum() == 8
    assert (screened["confirmed"] == "sample").sum() == 10
    top = screened.sort_values(["sharpe", "index"], ascending=[False, True]).head(8)
    assert set(top["confirmed"]) == {"top"}
    # results.csv holds exactly the confirmed runs, run by the engine
    confirmed = screened[screened["confirmed"].notna()]
    assert sorted(exact["task_id"]) == sorted(confirmed["task_id"])
    assert (exact["status"] == "ok").all() and exact["run_id"].notna().all()
    both = confirmed.merge(exact, on="task_id", suffixes=("_screen", ""))
    rho = both["sharpe_screen"].corr(both["sharpe"], method="spearman")
    assert rho >= 0.9, rho
    # a screen is approximate, but not far: next-open fills and proportional costs
    assert (both["exposure_screen"] - both["exposure"]).abs().max() < 0.01
    assert (both["total_return_screen"] - both["total_return"]).abs().max() < 0.25
    page = (tmp_path / "out/report.html").read_text()
    assert "Screen and engine" in page and f"{rho:.3f}" in page
    # the same sweep again resumes: nothing is re-run, the same files come out
    again = run_cli("sweep", str(write_sweep(tmp_path)), "--out", str(tmp_path / "out"),
                    "--workers", "1")
    assert again.code == 0
    assert pd.read_csv(tmp_path / "out/results.csv").equals(exact)


@pytest.mark.parametrize("execution, rank_by, extra, message", [
    ("close", "sharpe", "", "the screen executes at the next open; broker.execution is close"),
    ("open", "fills", "", "rank_by 'fills' is not among them"),
    ("open", "sharpe", "  walk_forward: {train_days: 500, test_days: 250}\n",
     "screen and walk_forward cannot be combined"),
])
def test_a_screen_it_cannot_run_is_refused(tmp_path, execution, rank_by, extra, message):
    result = run_cli("sweep", str(write_sweep(tmp_path, execution, rank_by, extra)), "--out",
                     str(tmp_path / "out"))
    assert result.code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_strategy_without_vectorised_signals_is_refused(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(f"""name: barbell_screen
data: {{catalog: {REPO}/data/catalog.csv, start: 2020-01-02, end: 2023-06-08}}
strategy:
  name: barbell
  params:
    legs: [{{symbol: 510300.SH, weight: 0.5}}, {{symbol: 515180.SH, weight: 0.5}}]
sweep:
  grid: {{strategy.params.drift_band: [0.02, 0.1]}}
  screen: {{top: 1}}
""")
    result = run_cli("sweep", str(path), "--out", str(tmp_path / "out"))
    assert result.code == 2
    assert "strategy barbell has no vectorised signals" in result.stderr
    assert "sweep.screen" in result.stderr and not (tmp_path / "out").exists()


def test_no_order_before_trade_start_and_the_standing_target_after_it():
    from huice.engine.sweep.screen_sim import without_warm_up

    nan = np.nan
    # set 0 turned long on day 1 and flat on day 2 (warm-up); set 1 long on day 2; set 2 never
    # ordered; set 3 ordered on day 3 itself; trading starts on day 3
    weights = np.array([[[nan], [nan], [nan], [nan]],
                        [[1.0], [nan], [nan], [nan]],
                        [[0.0], [1.0], [nan], [nan]],
                        [[nan], [nan], [nan], [0.5]],
                        [[1.0], [nan], [nan], [nan]]])
    scheduled = without_warm_up(weights, 3, standing=False)
    assert np.isnan(scheduled[:3]).all() and scheduled[3, :, 0].tolist()[3] == 0.5
    assert np.isnan(scheduled[3, :3]).all() and scheduled[4, 0, 0] == 1.0
    standing = without_warm_up(weights, 3, standing=True)
    assert np.isnan(standing[:3]).all()
    # the standing targets at the end of the warm-up are ordered on the first trading day; a
    # set that orders on that day keeps its own order
    assert standing[3, 0, 0] == 0.0 and standing[3, 1, 0] == 1.0
    assert np.isnan(standing[3, 2, 0]) and standing[3, 3, 0] == 0.5
    np.testing.assert_array_equal(without_warm_up(weights, 0, True), weights)
