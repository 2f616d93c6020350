"""ETF flow rotation: the flow factor by hand on real days, the two formulas agree, the merge-day
guard on 510310's real 2024-09-20 jump, and both examples run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from huice.config.schema import DataConfig
from huice.engine.run.assembly import run_backtest
from huice.feeds.loading import load_market
from huice.strategies.etf_flow import EtfFlowRotation, daily_flows, flow_price
from tests.conftest import EXAMPLES, run_cli
from tests.helpers.configs import make_config

CSI300_ETFS = ["510300.SH", "510310.SH", "510330.SH", "159919.SZ"]


def test_daily_flow_worked_out_by_hand_on_real_days():
    # 510300 (traded prices), from the bundled bars:
    #   shares 2020-03-09 8,968,987,700; 2020-03-10 9,478,387,700; 2020-03-11 9,029,287,700
    #   2020-03-10 amount 3,457,073,174 CNY over 859,648,156 shares -> VWAP 4.0214978...
    #   2020-03-11 amount 2,845,979,722 CNY over 703,269,381 shares -> VWAP 4.0467846...
    # flow(03-10) = +509,400,000 shares x 4.0214978 = +2,048,550,982.80 CNY (creation)
    # flow(03-11) = -449,100,000 shares x 4.0467846 = -1,817,410,977.47 CNY (redemption)
    bars = load_market(DataConfig(start="2020-03-02", end="2020-03-13", benchmark=None),
                       ["510300.SH"]).bars("510300.SH")
    flow, not_flow = daily_flows(bars["shares"], flow_price(bars, "auto"), "shares", set(), 0.3)
    assert flow.loc["2020-03-10"] == pytest.approx(509_400_000 * 3_457_073_174 / 859_648_156,
                                                   rel=1e-12)
    assert flow.loc["2020-03-10"] == pytest.approx(2_048_550_982.80, abs=0.01)
    assert flow.loc["2020-03-11"] == pytest.approx(-1_817_410_977.47, abs=0.01)
    assert not not_flow.any()


def test_the_two_flow_formulas_agree_on_real_data():
    bars = load_market(DataConfig(start="2017-01-03", end="2023-06-08", benchmark=None),
                       ["510300.SH"]).bars("510300.SH")
    by_shares, _ = daily_flows(bars["shares"], bars["close"], "shares", set(), 0.3)
    by_aum, _ = daily_flows(bars["shares"], bars["close"], "aum", set(), 0.3)
    both = pd.concat([by_shares, by_aum], axis=1).dropna()
    assert len(both) > 1500
    assert np.allclose(both.iloc[:, 0], both.iloc[:, 1], rtol=1e-9, atol=1e-3)


def test_merge_day_is_not_a_flow():
    # 510310 merged its shares on 2024-09-20: 121,864,307,400 -> 62,347,244,000 shares
    bars = load_market(DataConfig(start="2024-09-02", end="2024-09-30", benchmark=None),
                       ["510310.SH.qfq"]).bars("510310.SH.qfq")
    price = flow_price(bars, "auto")
    unguarded, _ = daily_flows(bars["shares"], price, "shares", set(), max_change=10.0)
    assert unguarded.loc["2024-09-20"] < -9e10  # would read as a 95-billion-CNY redemption
    automatic, flagged = daily_flows(bars["shares"], price, "shares", set(), max_change=0.3)
    assert automatic.loc["2024-09-20"] == 0.0 and flagged.loc["2024-09-20"]
    assert flagged.sum() == 1
    listed, flagged = daily_flows(bars["shares"], price, "shares",
                                  {pd.Timestamp("2024-09-20")}, max_change=10.0)
    assert listed.loc["2024-09-20"] == 0.0 and flagged.sum() == 1
    assert listed.drop(pd.Timestamp("2024-09-20")).equals(
        unguarded.drop(pd.Timestamp("2024-09-20")))


def test_factor_sums_the_index_and_scales_by_aum():
    # the CSI 300 factor on a real day = the four ETFs' 20-day summed flows over their summed
    # 20-day mean AUM, computed here independently from the raw lines
    params = {"universe": CSI300_ETFS + ["159915.SZ"], "lookback_days": 20}
    config = make_config("etf_flow", params, start="2019-01-02", end="2019-12-31")
    result = run_backtest(config, EtfFlowRotation.from_params(params))
    market = load_market(DataConfig(start="2019-01-02", end="2019-12-31", benchmark=None),
                         CSI300_ETFS)
    calendar = result.equity.index
    flows, aums = [], []
    for symbol in CSI300_ETFS:
        bars = market.bars(symbol)
        vwap = bars["amount"] / bars["volume"]
        flows.append(((bars["shares"] - bars["shares"].shift()) * vwap).reindex(calendar))
        aums.append((bars["shares"] * vwap).reindex(calendar).ffill())
    day = pd.Timestamp("2019-06-28")
    window = calendar[calendar.get_loc(day) - 19: calendar.get_loc(day) + 1]
    summed = sum(f.loc[window].fillna(0).sum() for f in flows)
    mean_aum = sum(a.loc[window].mean() for a in aums)
    assert result.signals.loc[day, "flow 000300.SH"] == pytest.approx(summed / mean_aum, rel=1e-9)


def test_holdings_follow_the_ranking_and_weights_stay_below_one():
    params = {"universe": CSI300_ETFS + ["159915.SZ"], "direction": "contrarian", "top_k": 1,
              "cash_buffer": 0.02}
    config = make_config("etf_flow", params, start="2018-01-02", end="2019-12-31")
    result = run_backtest(config, EtfFlowRotation.from_params(params))
    signals = result.signals
    for day in signals.index[signals["rebalance"] > 0]:
        flows = {g: signals.loc[day, f"flow {g}"] for g in ("000300.SH", "399006.SZ")}
        lowest = min(flows, key=flows.get)
        created = result.orders[(result.orders["created"] == day.strftime("%Y-%m-%d"))
                                & (result.orders["side"] == "buy")]
        if len(created):
            bought = created["symbol"].iloc[0]
            assert (bought == "159915.SZ") == (lowest == "399006.SZ")
    invested = result.equity["holdings"] / result.equity["equity"]
    assert (invested <= 1.0).all() and invested.max() > 0.9


@pytest.mark.parametrize("name", ["etf_flow_rotation", "etf_flow_rotation_300_vs_chinext"])
def test_examples_run_from_the_cli(tmp_path, name):
    result = run_cli("backtest", str(EXAMPLES / f"{name}.yaml"), "--out", str(tmp_path / name))
    assert result.code == 0, result.stderr
    report = (tmp_path / name / "report.html").read_text()
    assert "Flow factor" in report and "Holdings" in report
    assert 'id="chart-diagnostic-1"' in report and 'id="chart-diagnostic-2"' in report
    if name == "etf_flow_rotation":
        assert "are forward-adjusted: dividends are folded into the prices" in report
    else:
        assert "are booked on their ex-dates" in report
        assert (tmp_path / name / "actions.csv").is_file()
