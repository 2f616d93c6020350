"""Dividends in every comparison (issue 18): buy-and-hold is a total return, round trips carry
their dividends, total-return benchmarks ship with the data, and each excess figure says what
it is measured against. Figures are worked out from the bar file alone."""

from __future__ import annotations

import pandas as pd
import pytest

from huice.engine.results.metrics import buy_and_hold_return, holding_value
from huice.engine.run.assembly import run_backtest
from huice.strategies.replay import ReplayOrders, ReplayTargetWeights
from tests.conftest import DATA
from tests.helpers.configs import make_config

ETF = "510300.SH"


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return pd.read_csv(DATA / f"bars/{ETF}.csv.gz", index_col="date", parse_dates=True)


def test_buy_and_hold_counts_the_cash_dividends(bars):
    span = bars.loc["2020-01-02":"2022-12-30"]
    # ex-dates inside the span: 2021-01-18 (0.072) and 2022-01-19 (0.075), one unit held
    paid = span["dividend"].iloc[1:].sum()
    assert paid == pytest.approx(0.147)
    expected = (span["close"].iloc[-1] + paid) / span["close"].iloc[0] - 1
    assert buy_and_hold_return(span) == pytest.approx(expected, abs=1e-12)
    price_only = span["close"].iloc[-1] / span["close"].iloc[0] - 1
    assert buy_and_hold_return(span) - price_only == pytest.approx(paid / span["close"].iloc[0])
    value = holding_value(span)
    assert value.iloc[0] == span["close"].iloc[0]
    assert value.loc["2021-01-18"] == pytest.approx(span.loc["2021-01-18", "close"] + 0.072)


def test_a_split_changes_the_units_held_and_later_dividends_follow_them():
    # 510500.SH: units x 0.28034 on 2015-04-15, then 0.916 a unit on 2022-08-29
    etf = pd.read_csv(DATA / "bars/510500.SH.csv.gz", index_col="date", parse_dates=True)
    span = etf.loc["2015-01-05":"2022-12-30"]
    units = 0.28034
    expected = (units * span["close"].iloc[-1] + units * 0.916) / span["close"].iloc[0] - 1
    assert buy_and_hold_return(span) == pytest.approx(expected, abs=1e-12)


def test_holding_the_etf_itself_earns_no_excess_over_buy_and_hold(tmp_path, bars):
    path = tmp_path / "weights.csv"
    path.write_text(f"date,symbol,weight\n2019-12-31,{ETF},1.0\n")
    params = {"path": str(path)}
    config = make_config("target_weights", params, start="2019-12-31", end="2022-12-30",
                         benchmark="H00300.CSI")
    result = run_backtest(config, ReplayTargetWeights.from_params(params))
    metrics = result.metrics
    # fully invested from the 2020-01-02 open: the strategy is buy-and-hold (measured from the
    # run's first close, 2019-12-31), less one commission, the cash left over after whole lots
    # and the gap from that close to the next open
    span = bars.loc["2019-12-31":"2022-12-30"]
    assert metrics.buy_and_hold_return == pytest.approx(buy_and_hold_return(span), abs=1e-12)
    assert abs(metrics.excess_vs_buy_and_hold) < 0.01
    assert metrics.dividends > 0
    # the total-return benchmark: H00300.CSI's own closes over the run
    tr = pd.read_csv(DATA / "bars/H00300.CSI.csv.gz", index_col="date", parse_dates=True)
    tr = tr.loc["2019-12-31":"2022-12-30", "close"]
    assert metrics.benchmark_return == pytest.approx(tr.iloc[-1] / tr.iloc[0] - 1, abs=1e-12)
    assert metrics.excess_vs_benchmark == pytest.approx(metrics.total_return
                                                       - metrics.benchmark_return)
    assert not hasattr(metrics, "excess_return")


def test_round_trips_carry_their_dividends(tmp_path, bars):
    # 1,000 units bought at the 2021-01-15 open, sold at the 2021-01-19 open: the 2021-01-18
    # ex-date pays 0.072 a unit while they are held
    path = tmp_path / "orders.csv"
    path.write_text(f"date,symbol,side,quantity\n2021-01-14,{ETF},buy,1000\n"
                    f"2021-01-18,{ETF},sell,1000\n")
    params = {"path": str(path)}
    config = make_config("orders", params, start="2021-01-11", end="2021-01-22", benchmark=None)
    result = run_backtest(config, ReplayOrders.from_params(params))
    trade = result.trades.iloc[0]
    assert trade["dividends"] == 72.0
    buy, sell = result.fills.iloc[0], result.fills.iloc[1]
    assert trade["pnl"] == round(sell["value"] - buy["value"] - buy["fees"] - sell["fees"] + 72.0,
                                 2)
    # the run's total profit is the trade's pnl: nothing is left out
    assert result.equity["equity"].iloc[-1] - 1_000_000 == pytest.approx(trade["pnl"], abs=0.005)
