"""Barbell: rebalance dates on the real trading calendar, a drift-band trigger worked out by hand
on real data, weights never above 1, and both examples run."""

from __future__ import annotations

import gzip
import math

import numpy as np
import pandas as pd
import pytest

from huice.engine.run.assembly import run_backtest
from huice.strategies.barbell import Barbell
from tests.conftest import DATA, EXAMPLES, run_cli
from tests.helpers.configs import make_config

LEGS = [{"symbol": "000922.CSI", "weight": 0.5}, {"symbol": "000852.SH", "weight": 0.5}]
FIRST_DAYS_2024 = ["2024-01-02", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-06",
                   "2024-06-03", "2024-07-01", "2024-08-01", "2024-09-02", "2024-10-08",
                   "2024-11-01", "2024-12-02"]
LAST_DAYS_2024 = ["2024-01-31", "2024-02-29", "2024-03-29", "2024-04-30", "2024-05-31",
                  "2024-06-28", "2024-07-31", "2024-08-30", "2024-09-30", "2024-10-31",
                  "2024-11-29", "2024-12-31"]


def run(params, start, end, broker=None):
    config = make_config("barbell", params, start=start, end=end, broker=broker or {})
    return run_backtest(config, Barbell.from_params(params))


def rebalance_days(result):
    signals = result.signals
    return [d.strftime("%Y-%m-%d") for d in signals.index[signals["rebalance"] > 0]]


@pytest.mark.parametrize("day, expected", [
    ("first", FIRST_DAYS_2024),                     # May 6 after May Day, Oct 8 after National Day
    ("last", LAST_DAYS_2024[:-1] + ["2024-12-31"]),  # Feb 29 2024 traded; Sep 30 before the holiday
])
def test_monthly_rebalance_days_follow_the_exchange_calendar(day, expected):
    result = run({"legs": LEGS, "rebalance": "monthly", "rebalance_day": day},
                 "2024-01-02", "2024-12-31")
    days = rebalance_days(result)
    if day == "last":
        assert days[0] == "2024-01-02"  # the initial allocation
        days = days[1:]
    assert days == expected


def test_quarterly_first_days():
    result = run({"legs": LEGS, "rebalance": "quarterly"}, "2023-01-03", "2024-12-31")
    assert rebalance_days(result) == ["2023-01-03", "2023-04-03", "2023-07-03", "2023-10-09",
                                      "2024-01-02", "2024-04-01", "2024-07-01", "2024-10-08"]


def read_close(symbol):
    with gzip.open(DATA / f"bars/{symbol}.csv.gz", "rt") as handle:
        return pd.read_csv(handle, index_col="date", parse_dates=True)["close"]


def test_drift_band_trigger_worked_out_by_hand():
    # 50/50 on 2014-06-03 at the close, no costs, no calendar rebalance, 5-point band.
    # By hand: closes 2198.36 and 4640.242 -> proxy prices 2.19836 and 4.640242; quantities
    # floor(500000 / price / 100) * 100 = 227400 and 107700. CSI 1000 fills at the tick above
    # its reference, 4.641 (107700 x 4.641 = 499835.70); CSI Dividend bars are one price
    # (close only), so its fill cannot go above the bar's high: 2.19836 (227400 x 2.19836 =
    # 499907.064 -> 499907.06). Cash left 1e6 - 499835.70 - 499907.06 = 257.24.
    # Each day the dividend leg weighs 227400 x close_A / 1000 over the total; the first close
    # at which it is more than 5 points from 50% is 2015-01-05 (55.55%).
    result = run({"legs": LEGS, "rebalance": "none", "drift_band": 0.05}, "2014-06-03",
                 "2015-03-31", broker={"execution": "close", "costs": "none"})
    first = result.fills.iloc[:2].set_index("symbol")
    assert first.loc["000922.CSI", "quantity"] == 227400
    assert first.loc["000852.SH", "quantity"] == 107700
    assert result.fills.iloc[1]["cash_after"] == pytest.approx(257.24, abs=1e-6)
    # the same trigger day from the raw closes, independently of the strategy's code
    a, b = read_close("000922.CSI"), read_close("000852.SH")
    both = pd.concat([a, b], axis=1, keys=["a", "b"], sort=True).loc["2014-06-03":"2015-03-31"]
    value_a, value_b = 227400 * both["a"] / 1000, 107700 * both["b"] / 1000
    weight_a = value_a / (257.24 + value_a + value_b)
    trigger = weight_a.index[(weight_a - 0.5).abs() > 0.05][0]
    assert trigger == pd.Timestamp("2015-01-05")
    assert weight_a[trigger] == pytest.approx(0.555508, abs=1e-6)
    assert rebalance_days(result)[:2] == ["2014-06-03", "2015-01-05"]
    assert result.signals.loc["2015-01-05", "weight 000922.CSI"] == pytest.approx(
        weight_a[trigger], abs=1e-9)
    # after the rebalance, back near 50/50
    assert result.fills[result.fills["date"] == "2015-01-05"]["side"].tolist() == ["sell", "buy"]


@pytest.mark.parametrize("overlays", [False, True])
def test_weights_never_sum_above_one(overlays):
    params = {"legs": LEGS, "drift_band": 0.05}
    if overlays:
        params |= {"volume_timing": {"enabled": True}, "volatility_target": {"enabled": True}}
    result = run(params, "2012-01-04", "2016-12-30")
    invested = result.equity["holdings"] / result.equity["equity"]
    assert (invested <= 1 + 1e-12).all() and (result.equity["cash"] >= 0).all()
    assert (result.signals["exposure"] <= 1).all()
    weights = result.signals.filter(like="weight ").sum(axis=1)
    assert (weights <= 1 + 1e-12).all()


def test_volume_timing_cuts_exposure_when_turnover_is_weak():
    params = {"legs": LEGS, "rebalance": "monthly",
              "volume_timing": {"enabled": True, "short_days": 20, "long_days": 120,
                                "threshold": 0.1, "exposure": 0.5}}
    result = run(params, "2012-01-04", "2014-12-31")
    exposure = result.signals["exposure"]
    assert set(np.unique(exposure)) == {0.5, 1.0}
    # by hand on the raw CSI 300 amount: weak on a day when the 20-day mean is < 0.9 x 120-day
    with gzip.open(DATA / "bars/000300.SH.csv.gz", "rt") as handle:
        amount = pd.read_csv(handle, index_col="date", parse_dates=True)["amount"]
    amount = amount.loc["2012-01-04":"2014-12-31"]  # the run's history starts at data.start
    weak = amount.rolling(20).mean() < 0.9 * amount.rolling(120).mean()
    weak = weak[amount.rolling(120).count() == 120]
    assert (exposure.loc[weak.index] == np.where(weak, 0.5, 1.0)).all()


def test_contributions_add_up_to_the_total_return():
    result = run({"legs": LEGS, "drift_band": 0.05}, "2012-01-04", "2016-12-30")
    contributions = result.metrics["contribution"]
    assert set(contributions) == {"000922.CSI", "000852.SH"}
    # each position is marked to market in cents: the total return is within half a cent per
    # position of the sum of the contributions (valued exactly)
    assert math.fsum(contributions.values()) == pytest.approx(result.metrics["total_return"],
                                                              abs=2 * 0.005 / 1e6 + 1e-12)


@pytest.mark.parametrize("name", ["barbell_index", "barbell_etf"])
def test_examples_run_from_the_cli(tmp_path, name):
    result = run_cli("backtest", str(EXAMPLES / f"{name}.yaml"), "--out", str(tmp_path / name))
    assert result.code == 0, result.stderr
    report = (tmp_path / name / "report.html").read_text()
    assert "Leg weights" in report and "Contribution to return" in report
    assert report.count('data-metric="contribution.') == 2  # one row per leg
